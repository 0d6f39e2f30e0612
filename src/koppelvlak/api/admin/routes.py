"""Admin API routes: parse, check the role, call one service, render. No queries here.

Every route acts for the token's board only; a connection of another board answers 404.
The actor recorded with each decision is ``<role>:<token label>``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from koppelvlak.api.admin import views
from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.api.admin.schemas import (
    ConnectionRequest,
    ConsentBody,
    Licences,
    ObjectionBody,
    Reason,
    Scope,
    Switch,
)
from koppelvlak.connections import exceptions, flows, scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.admin_tokens import require
from koppelvlak.connections.models import LicenceSource, PersonKindColumn
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.release import service as release

router = APIRouter(prefix="/admin/api/v1", tags=["admin"])


def _view(work: SessionDep, board_id: uuid.UUID, connection_id: uuid.UUID) -> dict[str, Any]:
    connection = connections.get(work, board_id, connection_id)
    return views.connection(
        connections.view(work, connection, utcnow()),
        flows.pending_diff(work, board_id, connection_id),
    )


@router.get("/connections", summary="Every connection of the token's board")
def list_connections(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    found = connections.connections_for_board(work, who.board_id, utcnow())
    return {"connections": [views.connection(v) for v in found]}


@router.post("/connections", status_code=201, summary="Request a connection for a school")
def request_connection(
    body: ConnectionRequest, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    school_id = connections.school_by_code(work, who.board_id, body.brin, body.location_code)
    connection = connections.request(
        work,
        board_id=who.board_id,
        school_id=school_id,
        app_id=body.app_id,
        actor=who.actor,
        at=utcnow(),
        uwlr_profile=body.uwlr_profile,
    )
    return _view(work, who.board_id, connection.id)


@router.get("/connections/{connection_id}", summary="One connection, with any pending change")
def get_connection(connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return _view(work, who.board_id, connection_id)


@router.get("/connections/{connection_id}/history", summary="Who decided what, and when")
def history(connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {
        "events": [views.event(e) for e in connections.history(work, who.board_id, connection_id)]
    }


@router.post("/connections/{connection_id}/approve", summary="Approve (admin)")
def approve(connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "decide")
    connections.approve(work, who.board_id, connection_id, actor=who.actor, at=utcnow())
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/sign-off", summary="Sign off a sensitive dataset (DPO)")
def sign_off(connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "sign_off")
    connection = connections.get(work, who.board_id, connection_id)
    if connection.pending_version_id is not None and connection.state.value in {
        "active",
        "suspended",
    }:
        flows.sign_off_version(work, who.board_id, connection_id, actor=who.actor, at=utcnow())
    else:
        connections.sign_off(work, who.board_id, connection_id, actor=who.actor, at=utcnow())
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/refuse", summary="Refuse, with a reason")
def refuse(
    connection_id: uuid.UUID, body: Reason, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    connections.refuse(
        work, who.board_id, connection_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/suspend", summary="Suspend, with a reason")
def suspend(
    connection_id: uuid.UUID, body: Reason, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    connections.suspend(
        work, who.board_id, connection_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/resume", summary="Resume a suspended connection")
def resume(connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "decide")
    connections.resume(work, who.board_id, connection_id, actor=who.actor, at=utcnow())
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/revoke", summary="Revoke for good, with a reason")
def revoke(
    connection_id: uuid.UUID, body: Reason, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    connections.revoke(
        work, who.board_id, connection_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _view(work, who.board_id, connection_id)


@router.put("/connections/{connection_id}/scope", summary="Choose the scope")
def set_scope(
    connection_id: uuid.UUID, body: Scope, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    scope.set_scope(
        work,
        who.board_id,
        connection_id,
        kind=body.kind,
        group_ids=frozenset(body.group_ids),
        year_groups=frozenset(body.year_groups),
        licensed_only=body.licensed_only,
        actor=who.actor,
        at=utcnow(),
    )
    return _view(work, who.board_id, connection_id)


@router.post(
    "/connections/{connection_id}/switch", summary="Switch an optional attribute off or on"
)
def switch(
    connection_id: uuid.UUID, body: Switch, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    scope.switch_attribute(
        work, who.board_id, connection_id, body.attribute, on=body.on, actor=who.actor, at=utcnow()
    )
    return _view(work, who.board_id, connection_id)


@router.post("/connections/{connection_id}/licences", summary="Upload licences by LAS key")
def licences(
    connection_id: uuid.UUID, body: Licences, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    added = scope.add_licences(
        work,
        who.board_id,
        connection_id,
        kind=PersonKindColumn.STAFF if body.staff else PersonKindColumn.STUDENT,
        keys=body.keys,
        source=LicenceSource.SCHOOL,
        actor=who.actor,
        at=utcnow(),
    )
    return {"added": added}


@router.post("/connections/{connection_id}/version/approve", summary="Approve the pending version")
def approve_version(
    connection_id: uuid.UUID, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    diff = flows.approve_version(work, who.board_id, connection_id, actor=who.actor, at=utcnow())
    return {"approved": diff.as_dict(), "connection": _view(work, who.board_id, connection_id)}


@router.post("/connections/{connection_id}/version/refuse", summary="Refuse the pending version")
def refuse_version(
    connection_id: uuid.UUID, body: Reason, work: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    require(who, "decide")
    flows.refuse_version(
        work, who.board_id, connection_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _view(work, who.board_id, connection_id)


@router.get("/connections/{connection_id}/explain/{person_id}", summary="Why a person is in or out")
def explain(
    connection_id: uuid.UUID,
    person_id: uuid.UUID,
    work: SessionDep,
    who: PrincipalDep,
    at: Annotated[datetime | None, Query(description="Moment (ISO 8601); default now.")] = None,
) -> dict[str, Any]:
    require(who, "read")
    connections.get(work, who.board_id, connection_id)
    moment = as_utc(at) if at else utcnow()
    return views.explanation(release.explain(work, connection_id, person_id, moment))


@router.post("/objections", status_code=201, summary="Record an objection to a provider")
def object_to(body: ObjectionBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "exceptions")
    exceptions.record_objection(
        work, who.board_id, body.provider_id, body.person_id, actor=who.actor, at=utcnow()
    )
    return {"objection": "recorded"}


@router.post("/objections/lift", summary="Lift an objection")
def lift(body: ObjectionBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "exceptions")
    exceptions.lift_objection(
        work, who.board_id, body.provider_id, body.person_id, actor=who.actor, at=utcnow()
    )
    return {"objection": "lifted"}


@router.post("/consents", status_code=201, summary="Record a parent's consent decision")
def consent(body: ConsentBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "exceptions")
    exceptions.record_consent(
        work,
        who.board_id,
        body.provider_id,
        body.student_id,
        body.state,
        decided_by=body.decided_by,
        at=utcnow(),
    )
    return {"consent": body.state.value}
