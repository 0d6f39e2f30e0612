"""Across contexts: a provider's new dataset version meets the schools' connections.

A narrowing (fewer attributes, fewer entity types, required → optional) applies to every
connection at once: less data leaves, and nobody needs to approve that. A widening never applies
silently: it waits as the connection's pending version until the school approves it (and the DPO
signs off, when the new version has sensitive attributes). Each step is in the connection's
history with the difference between the versions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections import repository
from koppelvlak.connections.errors import DpoSignOffRequired, InvalidTransition
from koppelvlak.connections.models import Connection, ConnectionEvent, ConnectionState
from koppelvlak.connections.service import get, record
from koppelvlak.connections.states import TERMINAL, state_at
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import DatasetSpec, DatasetVersionView, VersionDiff


@dataclass(frozen=True)
class VersionOutcome:
    connection_id: uuid.UUID
    board_id: uuid.UUID
    outcome: str  # applied | pending | replaced_request
    diff: VersionDiff


def propose_dataset_version(
    session: Session, app_id: uuid.UUID, spec: DatasetSpec, *, actor: str, at: datetime
) -> tuple[DatasetVersionView, list[VersionOutcome]]:
    """Write the app's next dataset version and apply it where that is allowed."""
    new = providers.add_dataset_version(session, app_id, spec, actor=actor, at=at)
    outcomes = []
    for connection in repository.connections_of_app(session, app_id):
        current = state_at(connection.state, connection.ends_at, at)
        if current in TERMINAL:
            continue
        old = providers.dataset_version_view(session, connection.dataset_version_id)
        diff = providers.diff_versions(old, new)
        if current is ConnectionState.REQUESTED:
            # Nothing approved yet: the school decides on the newest request.
            connection.dataset_version_id = new.version_id
            connection.pending_version_id = None
            if diff.widens:
                connection.dpo_signed_at = connection.dpo_signed_by = None
            outcome = "replaced_request"
        elif diff.widens:
            connection.pending_version_id = new.version_id
            outcome = "pending"
        else:
            connection.dataset_version_id = new.version_id
            connection.pending_version_id = None
            outcome = "applied"
        record(
            session,
            connection,
            actor=actor,
            action=f"version_{outcome}",
            at=at,
            detail=diff.as_dict(),
        )
        outcomes.append(VersionOutcome(connection.id, connection.board_id, outcome, diff))
    session.flush()
    return new, outcomes


def pending_diff(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID
) -> VersionDiff | None:
    """What approving the pending version would change, or None when nothing waits."""
    connection = get(session, board_id, connection_id)
    if connection.pending_version_id is None:
        return None
    return providers.diff_versions(
        providers.dataset_version_view(session, connection.dataset_version_id),
        providers.dataset_version_view(session, connection.pending_version_id),
    )


def _signed_off(session: Session, connection: Connection, version_id: uuid.UUID) -> bool:
    details = session.scalars(
        select(ConnectionEvent.detail).where(
            ConnectionEvent.connection_id == connection.id,
            ConnectionEvent.action == "dpo_sign_off_version",
        )
    )
    return any(d.get("version_id") == str(version_id) for d in details)


def sign_off_version(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str, at: datetime
) -> Connection:
    """The DPO signs off the pending (wider) version of a connection."""
    connection = get(session, board_id, connection_id)
    if connection.pending_version_id is None:
        raise InvalidTransition("the connection has no pending dataset version")
    version = providers.dataset_version_view(session, connection.pending_version_id)
    record(
        session,
        connection,
        actor=actor,
        action="dpo_sign_off_version",
        at=at,
        detail={"version_id": str(version.version_id), "version": version.version},
    )
    session.flush()
    return connection


def approve_version(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str, at: datetime
) -> VersionDiff:
    """The school approves the pending version; from now on the connection releases it."""
    connection = get(session, board_id, connection_id)
    current = state_at(connection.state, connection.ends_at, at)
    if current in TERMINAL:
        raise InvalidTransition(f"a connection that is {current} cannot change version")
    if connection.pending_version_id is None:
        raise InvalidTransition("the connection has no pending dataset version")
    old = providers.dataset_version_view(session, connection.dataset_version_id)
    new = providers.dataset_version_view(session, connection.pending_version_id)
    if new.sensitive and not _signed_off(session, connection, new.version_id):
        raise DpoSignOffRequired(
            f"dataset version {new.version} has sensitive attributes: the DPO must sign off first"
        )
    diff = providers.diff_versions(old, new)
    connection.dataset_version_id = new.version_id
    connection.pending_version_id = None
    connection.updated_at = at
    record(session, connection, actor=actor, action="approve_version", at=at, detail=diff.as_dict())
    session.flush()
    return diff


def refuse_version(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> None:
    """The school refuses the wider version; the connection keeps the version it approved."""
    connection = get(session, board_id, connection_id)
    if connection.pending_version_id is None:
        raise InvalidTransition("the connection has no pending dataset version")
    if reason is None or not reason.strip():
        raise InvalidTransition("a reason is required to refuse a dataset version")
    diff = pending_diff(session, board_id, connection_id)
    assert diff is not None
    connection.pending_version_id = None
    record(
        session,
        connection,
        actor=actor,
        action="refuse_version",
        at=at,
        reason=reason.strip(),
        detail=diff.as_dict(),
    )
    session.flush()
