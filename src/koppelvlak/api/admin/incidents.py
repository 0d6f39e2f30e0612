"""Admin API for incidents: the school sees reports at once; the DPO records the assessment.

Reading needs any role; the assessment and the notification are the DPO's (``sign_off``);
the mail recipient is the admin's (``decide``). Another board's incident answers 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.incidents import service as incidents
from koppelvlak.incidents.schemas import IncidentView
from koppelvlak.kit.clock import utcnow

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])


class Assessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment: str = Field(min_length=1, max_length=incidents.MAX_SUMMARY)
    notifiable: bool
    authority_notified_at: datetime | None = None
    authority_reference: str | None = Field(default=None, max_length=200)


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=256)


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _incident(view: IncidentView) -> dict[str, Any]:
    return {
        "id": str(view.incident_id),
        "provider": view.provider,
        "kind": view.kind,
        "summary": view.summary,
        "started_at": _moment(view.started_at),
        "reported_at": view.reported_at.isoformat(),
        "reported_by": view.reported_by,
        "connection_ids": [str(c) for c in view.connection_ids],
        "assessment": view.assessment,
        "notifiable": view.notifiable,
        "assessed_by": view.assessed_by,
        "assessed_at": _moment(view.assessed_at),
        "authority_notified_at": _moment(view.authority_notified_at),
        "authority_reference": view.authority_reference,
        "art33": {
            "deadline": view.clock.deadline.isoformat(),
            "state": view.clock.state,
            "seconds_left": view.clock.seconds_left,
            "text": view.clock.text,
        },
    }


@router.get("/incidents", summary="Incidents providers reported for the board")
def list_incidents(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {"incidents": [_incident(v) for v in incidents.incidents(work, who.board_id, utcnow())]}


@router.get("/incidents/{incident_id}", summary="One incident, with the people affected")
def show_incident(incident_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    detail = incidents.show(work, who.board_id, incident_id, utcnow())
    return {
        **_incident(detail.incident),
        "affected": {
            "people": len(detail.affected.person_ids),
            "person_ids": [str(p) for p in detail.affected.person_ids],
            "erased_people": detail.affected.erased,
            "disclosures": detail.affected.disclosures,
        },
    }


@router.post("/incidents/{incident_id}/assessment", summary="Record the assessment (DPO)")
def assess(
    incident_id: uuid.UUID, body: Assessment, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "sign_off")
    view = incidents.assess(
        work,
        who.board_id,
        incident_id,
        assessment=body.assessment,
        notifiable=body.notifiable,
        authority_notified_at=body.authority_notified_at,
        authority_reference=body.authority_reference,
        actor=who.actor,
        at=utcnow(),
    )
    return _incident(view)


@router.put("/incidents/recipient", summary="Where incident mail goes (admin)")
def set_recipient(body: Recipient, work: SessionDep, who: PrincipalDep) -> dict[str, str]:
    require(who, "decide")
    address = incidents.set_recipient(work, who.board_id, body.email, actor=who.actor, at=utcnow())
    return {"email": address}
