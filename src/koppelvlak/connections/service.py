"""Connection use cases: request, approve, sign off, refuse, suspend, resume, revoke, views.

Every decision names its actor and writes a ``connection_event`` row in the same transaction.
Admin actions take the admin's ``board_id``: a connection of another board is not found, so
one board can never decide for another.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.connections import repository, uwlr_requirements, views
from koppelvlak.connections.errors import (
    BoardNotFound,
    ConnectionNotFound,
    DpoSignOffRequired,
    InvalidTransition,
    ProviderNotAccredited,
    SchoolNotFound,
)
from koppelvlak.connections.history import initial_detail
from koppelvlak.connections.models import (
    Connection,
    ConnectionEvent,
    ConnectionState,
    ScopeKind,
    UwlrProfile,
)
from koppelvlak.connections.schemas import ConnectionEventView, ConnectionView
from koppelvlak.connections.states import can_move, state_at
from koppelvlak.kit import changes
from koppelvlak.providers import repository as provider_repository
from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import DatasetNotFound
from koppelvlak.providers.models import AccreditationState
from koppelvlak.providers.schemas import DatasetVersionView

S = ConnectionState
_REASONED_MOVES = {"refuse": S.REFUSED, "suspend": S.SUSPENDED, "revoke": S.REVOKED}


def record(
    session: Session,
    connection: Connection,
    *,
    actor: str,
    action: str,
    at: datetime,
    from_state: ConnectionState | None = None,
    to_state: ConnectionState | None = None,
    reason: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Write one decision to the connection's history; the kept release follows before commit."""
    changes.connection_changed(session, connection.id, at)
    session.add(
        ConnectionEvent(
            board_id=connection.board_id,
            connection_id=connection.id,
            seq=repository.last_event_seq(session, connection.id) + 1,
            at=at,
            actor=actor,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None,
            reason=reason,
            detail=detail or {},
        )
    )


def request(
    session: Session,
    *,
    board_id: uuid.UUID,
    school_id: uuid.UUID,
    app_id: uuid.UUID,
    actor: str,
    at: datetime,
    scope_kind: ScopeKind = ScopeKind.WHOLE_SCHOOL,
    licensed_only: bool = False,
    uwlr_profile: UwlrProfile | None = None,
    ends_at: datetime | None = None,
) -> Connection:
    """A school × the app's latest dataset version, in state ``requested``."""
    school = repository.school(session, board_id, school_id)
    if school is None:
        raise SchoolNotFound(f"no school with id {school_id} in this board")
    app = providers.app_of(session, app_id)
    provider = provider_repository.provider(session, app.provider_id)
    assert provider is not None  # foreign key
    if provider.accreditation_state is not AccreditationState.ACCREDITED:
        raise ProviderNotAccredited(
            f"provider {provider.name} is not accredited ({provider.accreditation_state})"
        )
    dataset = provider_repository.dataset_of_app(session, app_id)
    if dataset is None:
        raise DatasetNotFound(f"app {app.name} has no dataset yet")
    if repository.connection_for(session, school.id, app.id) is not None:
        raise InvalidTransition(
            f"school {school.brin}{school.location_code} has a connection to {app.name} already"
        )
    version = providers.latest_version_view(session, dataset.id)
    connection = Connection(
        board_id=board_id,
        school_id=school.id,
        provider_id=provider.id,
        app_id=app.id,
        dataset_version_id=version.version_id,
        state=S.REQUESTED,
        scope_kind=scope_kind,
        licensed_only=licensed_only,
        uwlr_profile=uwlr_profile,
        ends_at=ends_at,
        requested_by=actor,
        created_at=at,
        updated_at=at,
    )
    session.add(connection)
    session.flush()
    record(
        session,
        connection,
        actor=actor,
        action="request",
        at=at,
        to_state=S.REQUESTED,
        detail=initial_detail(
            dataset_version=version.version,
            scope_kind=scope_kind,
            licensed_only=licensed_only,
            ends_at=ends_at,
        ),
    )
    session.flush()
    return connection


def board_id_by_code(session: Session, code: str) -> uuid.UUID:
    """The board an admin names by its code."""
    board_id = repository.board_id(session, code)
    if board_id is None:
        raise BoardNotFound(f"no board with code {code!r}")
    return board_id


def school_by_code(
    session: Session, board_id: uuid.UUID, brin: str, location_code: str
) -> uuid.UUID:
    school = repository.school_by_code(session, board_id, brin, location_code)
    if school is None:
        raise SchoolNotFound(f"no school {brin}{location_code} in this board")
    return school.id


def get(session: Session, board_id: uuid.UUID, connection_id: uuid.UUID) -> Connection:
    """A connection of this board; another board's connection is not found."""
    connection = repository.connection_in_board(session, board_id, connection_id)
    if connection is None:
        raise ConnectionNotFound(f"no connection with id {connection_id} in this board")
    return connection


def _move(
    session: Session,
    connection: Connection,
    target: ConnectionState,
    *,
    actor: str,
    action: str,
    at: datetime,
    reason: str | None = None,
) -> None:
    current = state_at(connection.state, connection.ends_at, at)
    if not can_move(current, target):
        raise InvalidTransition(f"a connection that is {current} cannot become {target}")
    if target is S.ACTIVE and connection.activated_at is None:
        connection.activated_at = at
    connection.state = target
    connection.updated_at = at
    record(
        session,
        connection,
        actor=actor,
        action=action,
        at=at,
        from_state=current,
        to_state=target,
        reason=reason,
    )
    session.flush()


def _needs_reason(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise InvalidTransition(f"a reason is required to {what} a connection")
    return reason.strip()


def _version(session: Session, connection: Connection) -> DatasetVersionView:
    return providers.dataset_version_view(session, connection.dataset_version_id)


def approve(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str, at: datetime
) -> Connection:
    """The admin's approval; activates unless a sensitive dataset still needs the DPO."""
    connection = get(session, board_id, connection_id)
    _check_provider_accredited(session, connection)
    _check_uwlr_deliverable(session, connection)
    connection.approved_by, connection.approved_at = actor, at
    needs_dpo = _version(session, connection).sensitive and connection.dpo_signed_at is None
    _move(
        session,
        connection,
        S.APPROVED if needs_dpo else S.ACTIVE,
        actor=actor,
        action="approve",
        at=at,
    )
    return connection


def sign_off(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str, at: datetime
) -> Connection:
    """The DPO's sign-off of a sensitive dataset; activates once the admin approved too."""
    connection = get(session, board_id, connection_id)
    current = state_at(connection.state, connection.ends_at, at)
    if current not in {S.REQUESTED, S.APPROVED}:
        raise InvalidTransition(f"a connection that is {current} needs no sign-off")
    connection.dpo_signed_by, connection.dpo_signed_at = actor, at
    if current is S.APPROVED:
        _move(session, connection, S.ACTIVE, actor=actor, action="dpo_sign_off", at=at)
    else:
        record(session, connection, actor=actor, action="dpo_sign_off", at=at)
        session.flush()
    return connection


def _move_with_reason(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    action: str,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> Connection:
    """Refuse, suspend and revoke alike: a reason is required and kept on the connection."""
    connection = get(session, board_id, connection_id)
    connection.reason = _needs_reason(reason, action)
    to = _REASONED_MOVES[action]
    _move(session, connection, to, actor=actor, action=action, at=at, reason=connection.reason)
    return connection


def refuse(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> Connection:
    return _move_with_reason(
        session, board_id, connection_id, "refuse", actor=actor, at=at, reason=reason
    )


def suspend(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> Connection:
    return _move_with_reason(
        session, board_id, connection_id, "suspend", actor=actor, at=at, reason=reason
    )


def resume(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str, at: datetime
) -> Connection:
    connection = get(session, board_id, connection_id)
    if state_at(connection.state, connection.ends_at, at) is not S.SUSPENDED:
        raise InvalidTransition(
            f"only a suspended connection can be resumed, not a {connection.state} one"
        )
    _check_provider_accredited(session, connection)
    _move(session, connection, S.ACTIVE, actor=actor, action="resume", at=at)
    return connection


def revoke(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> Connection:
    return _move_with_reason(
        session, board_id, connection_id, "revoke", actor=actor, at=at, reason=reason
    )


def set_end(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    ends_at: datetime | None,
    *,
    actor: str,
    at: datetime,
) -> Connection:
    """Set or clear the end date (e.g. the contract's end); past it the connection is expired."""
    connection = get(session, board_id, connection_id)
    current = state_at(connection.state, connection.ends_at, at)
    if current in {S.REFUSED, S.REVOKED, S.EXPIRED}:
        raise InvalidTransition(f"a connection that is {current} cannot get a new end date")
    connection.ends_at = ends_at
    record(
        session,
        connection,
        actor=actor,
        action="set_end",
        at=at,
        detail={"ends_at": ends_at.isoformat() if ends_at else None},
    )
    session.flush()
    return connection


def _check_provider_accredited(session: Session, connection: Connection) -> None:
    provider = provider_repository.provider(session, connection.provider_id)
    assert provider is not None  # foreign key
    if provider.accreditation_state is not AccreditationState.ACCREDITED:
        raise ProviderNotAccredited(
            f"provider {provider.name} is not accredited ({provider.accreditation_state})"
        )


def _check_uwlr_deliverable(session: Session, connection: Connection) -> None:
    """Can this dataset be delivered in the connection's UWLR profile? Refused at approval."""
    if connection.uwlr_profile is None:
        return
    version = _version(session, connection)
    uwlr_requirements.check_deliverable(
        connection.uwlr_profile.value,
        version.attribute_ids - repository.switched_off(session, connection.id),
        version.entity_types,
    )


def history(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID
) -> list[ConnectionEventView]:
    connection = get(session, board_id, connection_id)
    return [views.event_view(e) for e in repository.events(session, connection.id)]


def view(session: Session, connection: Connection, at: datetime) -> ConnectionView:
    return views.connection_views(session, [connection], at)[0]


def connections_for_provider(
    session: Session, provider_id: uuid.UUID, at: datetime
) -> list[ConnectionView]:
    """Every connection of the provider, in whatever state (the API answers 403 for inactive)."""
    return views.connection_views(
        session, repository.connections_of_provider(session, provider_id), at
    )


def active_connection_ids(
    session: Session, provider_id: uuid.UUID, at: datetime
) -> list[uuid.UUID]:
    """The provider's connections that are active at ``at`` (the API's per-request check)."""
    return sorted(
        (
            connection_id
            for connection_id, stored, ends_at in repository.provider_states(session, provider_id)
            if state_at(stored, ends_at, at) is S.ACTIVE
        ),
        key=str,
    )


def connections_for_board(
    session: Session, board_id: uuid.UUID, at: datetime
) -> list[ConnectionView]:
    return views.connection_views(session, repository.connections_of_board(session, board_id), at)


def require_dpo(version: DatasetVersionView, connection: Connection) -> None:
    if version.sensitive and connection.dpo_signed_at is None:
        raise DpoSignOffRequired(
            f"dataset version {version.version} has sensitive attributes: the DPO must sign off"
        )
