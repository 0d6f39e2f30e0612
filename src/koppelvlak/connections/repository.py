"""Every query of the connections context, scoped by board where the data is a board's."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections.models import (
    Connection,
    ConnectionEvent,
    ConnectionScopeGroup,
    ConnectionScopeYearGroup,
    ConnectionState,
    ConnectionSwitchOff,
)
from koppelvlak.kit.driver import Reader
from koppelvlak.roster.models import Board, School


def connection(session: Session, connection_id: uuid.UUID) -> Connection | None:
    return session.get(Connection, connection_id)


def connection_in_board(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID
) -> Connection | None:
    return session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.board_id == board_id)
    )


def provider_states(
    session: Session, provider_id: uuid.UUID
) -> list[tuple[uuid.UUID, ConnectionState, datetime | None]]:
    """(id, stored state, end date) of each of the provider's connections: one small read.

    Read on every provider request, so on the DBAPI cursor of the session's transaction
    (``kit.driver``); the states are stored as their plain values.
    """
    reader = Reader(session)
    return [
        (reader.uuid(i), ConnectionState(s), reader.stamp(e))
        for i, s, e in reader.rows(_PROVIDER_STATES, [reader.id(provider_id)])
    ]


_PROVIDER_STATES = "SELECT id, state, ends_at FROM connection WHERE provider_id = %s"


def connections_of_provider(session: Session, provider_id: uuid.UUID) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection)
            .where(Connection.provider_id == provider_id)
            .order_by(Connection.created_at, Connection.id)
        )
    )


def connections_of_board(session: Session, board_id: uuid.UUID) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection)
            .where(Connection.board_id == board_id)
            .order_by(Connection.created_at, Connection.id)
        )
    )


def connections_of_app(session: Session, app_id: uuid.UUID) -> list[Connection]:
    return list(session.scalars(select(Connection).where(Connection.app_id == app_id)))


def connection_for(session: Session, school_id: uuid.UUID, app_id: uuid.UUID) -> Connection | None:
    return session.scalar(
        select(Connection).where(Connection.school_id == school_id, Connection.app_id == app_id)
    )


def school(session: Session, board_id: uuid.UUID, school_id: uuid.UUID) -> School | None:
    return session.scalar(select(School).where(School.id == school_id, School.board_id == board_id))


def school_by_code(
    session: Session, board_id: uuid.UUID, brin: str, location_code: str
) -> School | None:
    return session.scalar(
        select(School).where(
            School.board_id == board_id,
            School.brin == brin,
            School.location_code == location_code,
        )
    )


def schools_by_id(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, School]:
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(School).where(School.id.in_(ids)))}


def switched_off(session: Session, connection_id: uuid.UUID) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(ConnectionSwitchOff.attribute_id).where(
                ConnectionSwitchOff.connection_id == connection_id
            )
        )
    )


def switched_off_many(
    session: Session, connection_ids: list[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    found: dict[uuid.UUID, set[str]] = {c: set() for c in connection_ids}
    if connection_ids:
        rows = session.execute(
            select(ConnectionSwitchOff.connection_id, ConnectionSwitchOff.attribute_id).where(
                ConnectionSwitchOff.connection_id.in_(connection_ids)
            )
        )
        for connection_id, attribute_id in rows:
            found[connection_id].add(attribute_id)
    return {c: frozenset(a) for c, a in found.items()}


def scope_groups(session: Session, connection_id: uuid.UUID) -> frozenset[uuid.UUID]:
    return frozenset(
        session.scalars(
            select(ConnectionScopeGroup.group_id).where(
                ConnectionScopeGroup.connection_id == connection_id
            )
        )
    )


def scope_year_groups(session: Session, connection_id: uuid.UUID) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(ConnectionScopeYearGroup.year_group).where(
                ConnectionScopeYearGroup.connection_id == connection_id
            )
        )
    )


def events(session: Session, connection_id: uuid.UUID) -> list[ConnectionEvent]:
    return list(
        session.scalars(
            select(ConnectionEvent)
            .where(ConnectionEvent.connection_id == connection_id)
            .order_by(ConnectionEvent.seq)
        )
    )


def last_event_seq(session: Session, connection_id: uuid.UUID) -> int:
    session.flush()
    found = session.scalar(
        select(func.max(ConnectionEvent.seq)).where(ConnectionEvent.connection_id == connection_id)
    )
    return int(found or 0)


def board_id(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == code))
