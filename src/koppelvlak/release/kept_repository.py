"""Every query of the kept release: its heads, its objects, and the connections a change touches.

Writes are set-based (``executemany`` of Core statements); reads that serve providers select
only the columns a page needs, in the order of an index, so a page is an index read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from koppelvlak.connections.models import Connection
from koppelvlak.kit.changes import Changes
from koppelvlak.kit.clock import as_utc
from koppelvlak.release.models import KeptObject, KeptRelease

K = cast(Table, KeptObject.__table__)


@dataclass(frozen=True, slots=True)
class Stored:
    digest: str
    status: str
    modified_at: datetime
    version: int


def head(session: Session, connection_id: uuid.UUID) -> KeptRelease | None:
    return session.get(KeptRelease, connection_id)


def locked_head(
    session: Session,
    connection_id: uuid.UUID,
    *,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    at: datetime,
) -> KeptRelease:
    """The connection's head row, made if missing, and locked until the transaction ends.

    Two processes refreshing one connection take turns here (on SQLite the writer's lock
    already serialises them), so the second sees what the first wrote and adds nothing twice.
    """
    dialect = session.get_bind().dialect.name
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_of(KeptRelease)
        .values(
            connection_id=connection_id,
            board_id=board_id,
            provider_id=provider_id,
            version=0,
            attribute_ids="[]",
            counts="{}",
            refreshed_at=at,
        )
        .on_conflict_do_nothing()
    )
    query = select(KeptRelease).where(KeptRelease.connection_id == connection_id)
    if dialect == "postgresql":
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def heads(session: Session, connection_ids: Sequence[uuid.UUID]) -> list[KeptRelease]:
    if not connection_ids:
        return []
    query = select(KeptRelease).where(KeptRelease.connection_id.in_(connection_ids))
    return list(session.scalars(query))


def stored(
    session: Session, connection_id: uuid.UUID, people: frozenset[uuid.UUID] | None = None
) -> dict[tuple[str, str], Stored]:
    """Every kept object of the connection; with ``people``, theirs and the impersonal ones.

    With ``people`` these are index reads of ``ix_kept_object_person`` (the impersonal objects,
    then the people in chunks): an ``IS NULL OR IN`` condition made SQLite visit every row.
    """
    columns = (K.c.collection, K.c.key, K.c.digest, K.c.status, K.c.modified_at, K.c.version)
    mine = K.c.connection_id == connection_id
    if people is None:
        queries = [select(*columns).where(mine)]
    else:
        wanted = sorted(people)
        queries = [select(*columns).where(mine, K.c.person_id.is_(None))]
        queries += [
            select(*columns).where(mine, K.c.person_id.in_(wanted[start : start + _CHUNK]))
            for start in range(0, len(wanted), _CHUNK)
        ]
    return {
        (c, k): Stored(d, s, as_utc(m), v)
        for query in queries
        for c, k, d, s, m, v in session.execute(query)
    }


_CHUNK = 500


def bodies(
    session: Session, connection_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, uuid.UUID | None]]:
    """The stored body and person of each (collection, key), for tombstones.

    One ``key IN`` read per collection and chunk, through the primary key; an OR of
    (collection, key) pairs made SQLite scan the connection's rows once per chunk.
    """
    by_collection: dict[str, list[str]] = {}
    for collection, key in keys:
        by_collection.setdefault(collection, []).append(key)
    found: dict[tuple[str, str], tuple[str, uuid.UUID | None]] = {}
    for collection, wanted in sorted(by_collection.items()):
        for start in range(0, len(wanted), _CHUNK):
            rows = session.execute(
                select(K.c.key, K.c.body, K.c.person_id).where(
                    K.c.connection_id == connection_id,
                    K.c.collection == collection,
                    K.c.key.in_(wanted[start : start + _CHUNK]),
                )
            )
            for key, text, person_id in rows:
                found[(collection, key)] = (text, person_id)
    return found


def expired(
    session: Session, connection_id: uuid.UUID, before: datetime
) -> tuple[frozenset[uuid.UUID], bool]:
    """People with a tombstone kept past its window, and whether an impersonal one is too."""
    rows = session.execute(
        select(K.c.person_id)
        .where(
            K.c.connection_id == connection_id,
            K.c.status == "tobedeleted",
            K.c.modified_at < before,
        )
        .distinct()
    )
    people = [person for (person,) in rows]
    return frozenset(p for p in people if p is not None), any(p is None for p in people)


def insert_objects(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(K), rows)


def update_objects(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rewrite whole objects by key (``b_*`` parameters name the key)."""
    if not rows:
        return
    statement = (
        update(K)
        .where(
            K.c.connection_id == bindparam("b_connection_id"),
            K.c.collection == bindparam("b_collection"),
            K.c.key == bindparam("b_key"),
        )
        .values({name: bindparam(name) for name in rows[0] if not name.startswith("b_")})
    )
    session.connection().execute(statement, rows)


def delete_objects(
    session: Session, connection_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> None:
    rows = [{"b_collection": c, "b_key": k} for c, k in keys]
    if rows:
        session.connection().execute(
            delete(K).where(
                K.c.connection_id == connection_id,
                K.c.collection == bindparam("b_collection"),
                K.c.key == bindparam("b_key"),
            ),
            rows,
        )


def active_counts(session: Session, connection_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(K.c.collection, K.c.kind, func.count())
        .where(K.c.connection_id == connection_id, K.c.status == "active")
        .group_by(K.c.collection, K.c.kind)
    )
    return {f"{collection} {kind}": int(n) for collection, kind, n in rows}


def partly_touched(session: Session, changes: Changes) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Connections whose notes all name people (a sync's, an exception's): those people each.

    A connection with a note about itself, its provider or its whole school is not here: it is
    refreshed whole. An objection of one student refreshes that student, not the school.
    """
    by_school = {school: p for school, p in changes.schools.items() if p is not None}
    whole_schools = {school for school, p in changes.schools.items() if p is None}
    by_provider: dict[uuid.UUID, set[uuid.UUID]] = {}
    for provider, person in changes.people:
        by_provider.setdefault(provider, set()).add(person)
    if not by_school and not by_provider:
        return {}
    rows = session.execute(
        select(Connection.id, Connection.school_id, Connection.provider_id).where(
            or_(
                Connection.school_id.in_(list(by_school)),
                Connection.provider_id.in_(list(by_provider)),
            )
        )
    )
    found: dict[uuid.UUID, frozenset[uuid.UUID]] = {}
    for connection_id, school_id, provider_id in rows:
        if (
            connection_id in changes.connections
            or provider_id in changes.providers
            or school_id in whole_schools
        ):
            continue
        people = by_school.get(school_id, set()) | by_provider.get(provider_id, set())
        found[connection_id] = frozenset(people)
    return found


def touched_connections(session: Session, changes: Changes) -> set[uuid.UUID]:
    """The connections whose release the noted changes may alter."""
    found = set(changes.connections)
    conditions = []
    if changes.schools:
        conditions.append(Connection.school_id.in_(list(changes.schools)))
    providers = changes.providers | {provider for provider, _person in changes.people}
    if providers:
        conditions.append(Connection.provider_id.in_(list(providers)))
    if conditions:
        found.update(session.scalars(select(Connection.id).where(or_(*conditions))))
    return found


def all_connections(session: Session, board_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    query = select(Connection.id).order_by(Connection.id)
    if board_id is not None:
        query = query.where(Connection.board_id == board_id)
    return list(session.scalars(query))


def count(session: Session, connection_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(K).where(K.c.connection_id == connection_id)
    return int(session.scalar(query) or 0)
