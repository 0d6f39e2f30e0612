"""Admin API: legal holds and the erasure of one person. Parse, check the role, call, render.

Holds are placed and lifted by an admin or the DPO; erasing a person is the DPO's alone. A
person or hold of another board answers 404, like an unknown one.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.rights import holds
from koppelvlak.rights.erasure import ErasureReport, erase_person_data

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])


class HoldBody(BaseModel):
    person_id: uuid.UUID | None = None
    purpose_code: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=2000)


class LiftBody(BaseModel):
    reason: str = Field(max_length=2000)


class ErasureBody(BaseModel):
    request_ref: str | None = Field(default=None, max_length=200)


def _hold(hold: holds.Hold) -> dict[str, Any]:
    return {
        "id": str(hold.id),
        "person_id": None if hold.person_id is None else str(hold.person_id),
        "purpose_code": hold.purpose_code,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at.isoformat(),
        "lifted_by": hold.lifted_by,
        "lifted_at": None if hold.lifted_at is None else hold.lifted_at.isoformat(),
        "lift_reason": hold.lift_reason,
    }


def _report(report: ErasureReport) -> dict[str, Any]:
    return {
        "erasure_id": str(report.record_id),
        "person_kind": report.person_kind,
        "erased_at": report.erased_at.isoformat(),
        "request_ref": report.request_ref,
        "removed": dict(report.removed),
        "notices": [
            {
                "notice_id": str(n.notice_id),
                "provider_id": str(n.provider_id),
                "connection_id": str(n.connection_id),
                "acknowledged": n.acknowledged,
            }
            for n in report.notices
        ],
    }


@router.get("/holds", summary="The board's legal holds (standing ones unless all=true)")
def list_holds(
    work: SessionDep, who: PrincipalDep, include_lifted: Annotated[bool, Query(alias="all")] = False
) -> dict[str, Any]:
    require(who, "read")
    found = holds.holds(work, board_id=who.board_id, at=None if include_lifted else utcnow())
    return {"holds": [_hold(h) for h in found]}


@router.post("/holds", status_code=201, summary="Place a legal hold on a person or a purpose")
def place_hold(body: HoldBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "exceptions")
    hold = holds.place_hold(
        work,
        board_id=who.board_id,
        person_id=body.person_id,
        purpose_code=body.purpose_code,
        reason=body.reason,
        actor=who.actor,
        at=utcnow(),
    )
    return _hold(hold)


@router.post("/holds/{hold_id}/lift", summary="Lift a legal hold; the row stays")
def lift_hold(
    hold_id: uuid.UUID, body: LiftBody, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "exceptions")
    lifted = holds.lift_hold(
        work,
        board_id=who.board_id,
        hold_id=hold_id,
        reason=body.reason,
        actor=who.actor,
        at=utcnow(),
    )
    return _hold(lifted)


@router.post(
    "/people/{person_id}/erasure",
    summary="Erase one person (DPO): deletion notices first, then every trace",
)
def erase(
    person_id: uuid.UUID, body: ErasureBody, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "sign_off")
    report = erase_person_data(
        work,
        board_id=who.board_id,
        person_id=person_id,
        at=utcnow(),
        request_ref=body.request_ref,
        actor=who.actor,
    )
    return _report(report)
