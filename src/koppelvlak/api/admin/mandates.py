"""Admin API for mandates and the final-test flow: list, grant, revoke, refusals, status.

Reading needs any role; granting, revoking and marking the final-test connection need the
admin role (``decide``). A mandate or connection of another board answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.mandates import final_test, flows
from koppelvlak.mandates import service as mandates

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])

SchoolQuery = Annotated[str | None, Query(max_length=64, description="BRIN or BRIN+location")]


class MandateGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school: str = Field(max_length=64, description="BRIN (99XX) or BRIN+location (99XX01)")
    service: str = Field(max_length=200)
    party: str = Field(max_length=64, description="OIN (20 digits) or KvK number (8 digits)")
    valid_from: date
    valid_until: date | None = None


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class FinalTestSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_date: date
    party: str | None = Field(default=None, max_length=64)


def _plain(view: object) -> dict[str, Any]:
    """A frozen view as JSON: ids, dates and moments as strings."""
    return {k: _json(v) for k, v in asdict(view).items()}  # type: ignore[call-overload]  # dataclass views only


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@router.get("/mandate-services", summary="The services of the register")
def list_services(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {"services": [_plain(s) for s in mandates.services(work)]}


@router.get("/mandates", summary="The board's mandates, with their status today")
def list_mandates(
    work: SessionDep, who: PrincipalDep, school: SchoolQuery = None
) -> dict[str, Any]:
    require(who, "read")
    found = mandates.mandates(work, who.board_id, utcnow(), school=school)
    return {"mandates": [_plain(m) for m in found]}


@router.post("/mandates", status_code=201, summary="Mandate a party for a service (admin)")
def grant(body: MandateGrant, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "decide")
    view = flows.grant(
        work,
        who.board_id,
        school=body.school,
        service_name=body.service,
        party=body.party,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        actor=who.actor,
        at=utcnow(),
    )
    return _plain(view)


@router.post("/mandates/{mandate_id}/revoke", summary="Revoke a mandate, with a reason (admin)")
def revoke(
    mandate_id: uuid.UUID, body: Revocation, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    view = mandates.revoke(
        work, who.board_id, mandate_id, reason=body.reason, actor=who.actor, at=utcnow()
    )
    return _plain(view)


@router.get("/mandate-refusals", summary="Exchanges refused for want of a valid mandate")
def refusals(work: SessionDep, who: PrincipalDep, school: SchoolQuery = None) -> dict[str, Any]:
    require(who, "read")
    return {"refusals": [_plain(r) for r in mandates.refusals(work, who.board_id, school)]}


@router.get("/final-test", summary="The final-test flow of a school: participants and results")
def final_test_status(
    work: SessionDep,
    who: PrincipalDep,
    school: Annotated[str, Query(max_length=64, description="BRIN or BRIN+location")],
) -> dict[str, Any]:
    require(who, "read")
    found = final_test.status(work, who.board_id, school, utcnow())
    return {"school": school.strip().upper(), "connections": [_plain(s) for s in found]}


@router.put(
    "/final-test/{connection_id}", summary="Make a connection the final-test connection (admin)"
)
def set_final_test(
    connection_id: uuid.UUID, body: FinalTestSetting, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    rule = final_test.set_rule(
        work,
        who.board_id,
        connection_id,
        reference_date=body.reference_date,
        party=body.party,
        actor=who.actor,
        at=utcnow(),
    )
    return {
        "connection_id": str(rule.connection_id),
        "service": rule.service,
        "party": rule.party,
        "year_group": rule.year_group,
        "reference_date": rule.reference_date.isoformat(),
    }
