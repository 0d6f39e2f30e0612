"""Admin API for policies: versions, acceptances, withdrawals and who has not yet accepted.

Admins and DPOs write (``policies`` permission), viewers read. Every route acts for the token's
board only: another board's policy, person or guardian answers 404. Routes parse, check the
role, call one service and render; the rules live in ``koppelvlak.policies``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.policies import acceptance, service
from koppelvlak.policies.models import Audience
from koppelvlak.policies.schemas import AcceptanceView, Pending, PolicyView, VersionView

router = APIRouter(prefix="/admin/api/v1/policies", tags=["admin"])

Number = Annotated[int, Path(ge=1, le=1_000_000, description="The version's number: 1, 2, …")]
_TEXT = 200_000


class PolicyBody(BaseModel):
    code: str = Field(min_length=1, max_length=64, examples=["privacy-students"])
    name: str = Field(min_length=1, max_length=200)
    audience: Audience
    required: bool = True
    text_nl: str = Field(min_length=1, max_length=_TEXT)
    text_en: str = Field(min_length=1, max_length=_TEXT)
    summary: str | None = Field(default=None, max_length=2000)
    connection_id: uuid.UUID | None = None


class VersionBody(BaseModel):
    text_nl: str = Field(min_length=1, max_length=_TEXT)
    text_en: str = Field(min_length=1, max_length=_TEXT)
    minor_change: bool = False
    summary: str | None = Field(default=None, max_length=2000)


class AcceptanceBody(BaseModel):
    person_id: uuid.UUID
    guardian_id: uuid.UUID | None = Field(
        default=None, description="The guardian who decides for a student under 16."
    )


@router.get("", summary="Every policy of the token's board")
def list_policies(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {"policies": [_policy(p) for p in service.policies(work, who.board_id)]}


@router.post("", status_code=201, summary="Create a policy; its first version is a draft")
def create(body: PolicyBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "policies")
    policy = service.create_policy(
        work,
        who.board_id,
        code=body.code,
        name=body.name,
        audience=body.audience,
        required=body.required,
        text_nl=body.text_nl,
        text_en=body.text_en,
        summary=body.summary,
        connection_id=body.connection_id,
        actor=who.actor,
        at=utcnow(),
    )
    return _policy(policy)


@router.get("/{policy_id}", summary="One policy with all its versions")
def get_policy(policy_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return _policy(service.view(work, service.get(work, who.board_id, policy_id)))


@router.post("/{policy_id}/versions", status_code=201, summary="Draft the next version")
def draft(
    policy_id: uuid.UUID, body: VersionBody, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "policies")
    version = service.draft_version(
        work,
        who.board_id,
        policy_id,
        text_nl=body.text_nl,
        text_en=body.text_en,
        minor_change=body.minor_change,
        summary=body.summary,
        actor=who.actor,
        at=utcnow(),
    )
    return _version(version)


@router.post("/{policy_id}/versions/{number}/publish", summary="Make a draft the active version")
def publish(
    policy_id: uuid.UUID, number: Number, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "policies")
    return _policy(
        service.publish(work, who.board_id, policy_id, number, actor=who.actor, at=utcnow())
    )


@router.post("/{policy_id}/versions/{number}/archive", summary="Archive a version")
def archive(
    policy_id: uuid.UUID, number: Number, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "policies")
    return _policy(
        service.archive(work, who.board_id, policy_id, number, actor=who.actor, at=utcnow())
    )


@router.get("/{policy_id}/versions/{number}/pending", summary="Who has not yet accepted")
def pending(
    policy_id: uuid.UUID, number: Number, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "read")
    return _pending(acceptance.pending(work, who.board_id, policy_id, number))


@router.post("/{policy_id}/acceptances", status_code=201, summary="Record an acceptance")
def accept(
    policy_id: uuid.UUID, body: AcceptanceBody, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "policies")
    found = acceptance.accept(
        work,
        who.board_id,
        policy_id,
        body.person_id,
        guardian_id=body.guardian_id,
        actor=who.actor,
        at=utcnow(),
    )
    return _acceptance(found)


@router.post("/{policy_id}/withdrawals", summary="Withdraw an optional policy's acceptance")
def withdraw(
    policy_id: uuid.UUID, body: AcceptanceBody, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "policies")
    found = acceptance.withdraw(
        work,
        who.board_id,
        policy_id,
        body.person_id,
        guardian_id=body.guardian_id,
        actor=who.actor,
        at=utcnow(),
    )
    return {"withdrawn": [_acceptance(a) for a in found]}


@router.get("/{policy_id}/acceptances/{person_id}", summary="A person's acceptances, history too")
def history(
    policy_id: uuid.UUID, person_id: uuid.UUID, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "read")
    found = acceptance.acceptances(work, who.board_id, policy_id, person_id)
    return {"acceptances": [_acceptance(a) for a in found]}


def _policy(view: PolicyView) -> dict[str, Any]:
    return {
        "id": str(view.policy_id),
        "code": view.code,
        "name": view.name,
        "audience": view.audience,
        "required": view.required,
        "connection_id": str(view.connection_id) if view.connection_id else None,
        "active_version": view.active_version,
        "versions": [_version(v) for v in view.versions],
    }


def _version(view: VersionView) -> dict[str, Any]:
    return {
        "number": view.number,
        "state": view.state,
        "minor_change": view.minor_change,
        "summary": view.summary,
        "text_nl": view.text_nl,
        "text_en": view.text_en,
        "created_at": view.created_at.isoformat(),
        "created_by": view.created_by,
        "published_at": view.published_at.isoformat() if view.published_at else None,
        "published_by": view.published_by,
        "archived_at": view.archived_at.isoformat() if view.archived_at else None,
        "archived_by": view.archived_by,
    }


def _acceptance(view: AcceptanceView) -> dict[str, Any]:
    return {
        "policy_id": str(view.policy_id),
        "version": view.version,
        "person_kind": view.subject_kind,
        "person_id": str(view.subject_id),
        "guardian_id": str(view.guardian_id) if view.guardian_id else None,
        "accepted_at": view.accepted_at.isoformat(),
        "recorded_by": view.recorded_by,
        "consent_recorded": view.consent_recorded,
        "withdrawn_at": view.withdrawn_at.isoformat() if view.withdrawn_at else None,
        "counts": view.counts,
    }


def _pending(found: Pending) -> dict[str, Any]:
    return {
        "policy_id": str(found.policy_id),
        "version": found.version,
        "accepted": found.accepted,
        "pending": [
            {"kind": p.kind, "id": str(p.person_id), "source_key": p.source_key, "name": p.name}
            for p in found.people
        ],
    }
