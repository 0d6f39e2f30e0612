"""Every ledger query: appending under the chain lock, streaming chains, the two views, erasure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    String,
    Text,
    and_,
    func,
    insert,
    literal,
    select,
    type_coerce,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from koppelvlak.audit.ledger import GENESIS, ChainRow
from koppelvlak.audit.models import ChainHead, Entry, Payload, Subject
from koppelvlak.roster.models import Board

STREAM_BATCH = 20_000


def advance_head(session: Session, board_id: uuid.UUID, now: datetime) -> tuple[int, str]:
    """Take the board's chain lock and the next sequence; returns (sequence, previous hash).

    The ``UPDATE … RETURNING`` takes the head row's lock on PostgreSQL (as ``SELECT … FOR
    UPDATE`` would) and SQLite's write lock before anything is read, so concurrent appends to
    one board queue here while other boards go on (ADR 0030).
    """
    statement = (
        update(ChainHead)
        .where(ChainHead.board_id == board_id)
        .values(last_sequence=ChainHead.last_sequence + 1, updated_at=now)
        .returning(ChainHead.last_sequence, ChainHead.last_hash)
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        _create_head(session, board_id, now)
        row = session.execute(statement).one()
    return int(row[0]), str(row[1])


def _create_head(session: Session, board_id: uuid.UUID, now: datetime) -> None:
    values = {"board_id": board_id, "last_sequence": 0, "last_hash": GENESIS, "updated_at": now}
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert_(ChainHead).values(**values).on_conflict_do_nothing())


def set_head_hash(session: Session, board_id: uuid.UUID, entry_hash: str) -> None:
    session.execute(
        update(ChainHead).where(ChainHead.board_id == board_id).values(last_hash=entry_hash)
    )


def add_entry(
    session: Session,
    entry: dict[str, Any],
    payload: dict[str, Any],
    subjects: Sequence[dict[str, Any]],
) -> None:
    session.execute(insert(Entry).values(**entry))
    session.execute(insert(Payload).values(**payload))
    if subjects:
        session.execute(insert(Subject), list(subjects))


def board_id_for_code(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == code))


def chains(
    session: Session, board_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str | None, int | None, str | None]]:
    """Every chain to verify: boards with a head or with entries (a lost head is a break)."""
    boards = union(select(ChainHead.board_id), select(Entry.board_id).distinct()).subquery()
    statement = (
        select(boards.c.board_id, Board.code, ChainHead.last_sequence, ChainHead.last_hash)
        .outerjoin(ChainHead, ChainHead.board_id == boards.c.board_id)
        .outerjoin(Board, Board.id == boards.c.board_id)
        .order_by(Board.code, boards.c.board_id)
    )
    if board_id is not None:
        statement = statement.where(boards.c.board_id == board_id)
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(statement)]


def _hex(column: Any, dialect: str) -> Any:
    """A UUID column as 32 hex digits, computed by the database (no Python UUID objects)."""
    if dialect == "postgresql":
        return func.replace(column.cast(Text), "-", "")
    return type_coerce(column, String)  # SQLite stores Uuid as 32 hex digits already


def _timestamp(column: Any, dialect: str) -> Any:
    """A timestamp as ``ledger.timestamp`` writes it, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    # SQLAlchemy stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (we write UTC).
    return func.replace(type_coerce(column, String), " ", "T").concat("+00:00")


def stream_chain(
    session: Session, board_id: uuid.UUID, first: int = 1, last: int | None = None
) -> Iterator[ChainRow]:
    """One board's entries in sequence order with payload and subjects, as canonical text.

    The database formats ids and times and gathers each entry's subjects, so verification
    spends its time hashing rather than building Python objects.
    """
    dialect = session.get_bind().dialect.name
    aggregate = func.string_agg if dialect == "postgresql" else func.group_concat
    subject_item = (
        Subject.commitment.concat(":")
        .concat(func.coalesce(_hex(Subject.person_id, dialect), ""))
        .concat(":")
        .concat(func.coalesce(Subject.salt, ""))
    )
    subjects = (
        select(aggregate(subject_item, " "))
        .where(Subject.board_id == Entry.board_id, Subject.sequence == Entry.sequence)
        .correlate(Entry)
        .scalar_subquery()
    )
    statement = (
        select(
            _hex(Entry.id, dialect).label("entry_id"),
            literal(board_id.hex, String).label("board_id"),  # the WHERE fixes it
            Entry.sequence,
            _timestamp(Entry.recorded_at, dialect).label("recorded_at"),
            _hex(Entry.provider_id, dialect).label("provider_id"),
            _hex(Entry.connection_id, dialect).label("connection_id"),
            type_coerce(Entry.channel, String).label("channel"),
            Entry.endpoint,
            Entry.response_digest,
            Entry.previous_hash,
            Entry.payload_commitment,
            Entry.entry_hash,
            Payload.details_commitment,
            Payload.salt,
            Payload.query,
            Payload.attribute_ids,
            subjects.label("subjects"),
        )
        .outerjoin(Payload, Payload.entry_id == Entry.id)
        .where(Entry.board_id == board_id, Entry.sequence >= first)
        .order_by(Entry.sequence)
    )
    if last is not None:
        statement = statement.where(Entry.sequence <= last)
    result = session.connection().execute(statement, execution_options={"yield_per": STREAM_BATCH})
    # Plain tuples: attribute access on a SQLAlchemy Row costs more than the hashing.
    return map(ChainRow._make, result)


def sequence_of_hash(session: Session, board_id: uuid.UUID, entry_hash: str) -> int | None:
    return session.scalar(
        select(Entry.sequence).where(Entry.board_id == board_id, Entry.entry_hash == entry_hash)
    )


def _disclosure_columns() -> tuple[Any, ...]:
    return (
        Entry.id,
        Entry.board_id,
        Entry.sequence,
        Entry.recorded_at,
        Entry.provider_id,
        Entry.connection_id,
        Entry.channel,
        Entry.endpoint,
        Entry.response_digest,
        Payload.attribute_ids,
        Payload.query,
    )


def person_disclosures(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> Sequence[Row[Any]]:
    statement = (
        select(*_disclosure_columns())
        .join(Subject, Subject.entry_id == Entry.id)
        .outerjoin(Payload, Payload.entry_id == Entry.id)
        .where(Subject.board_id == board_id, Subject.person_id == person_id)
        .order_by(Entry.sequence)
    )
    return session.execute(statement).all()


def provider_disclosures(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    since: datetime | None,
    until: datetime | None,
) -> Sequence[Row[Any]]:
    conditions = [Entry.board_id == board_id, Entry.provider_id == provider_id]
    if since is not None:
        conditions.append(Entry.recorded_at >= since)
    if until is not None:
        conditions.append(Entry.recorded_at < until)
    statement = (
        select(*_disclosure_columns())
        .outerjoin(Payload, Payload.entry_id == Entry.id)
        .where(and_(*conditions))
        .order_by(Entry.sequence)
    )
    return session.execute(statement).all()


def subjects_of(
    session: Session, board_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[set[uuid.UUID], int]]:
    """Per entry: the people still named, and how many were erased."""
    found: dict[uuid.UUID, tuple[set[uuid.UUID], int]] = {}
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start : start + 500]
        statement = select(Subject.entry_id, Subject.person_id).where(
            Subject.board_id == board_id, Subject.entry_id.in_(chunk)
        )
        for entry_id, person_id in session.execute(statement):
            people, erased = found.get(entry_id, (set(), 0))
            if person_id is None:
                erased += 1
            else:
                people.add(person_id)
            found[entry_id] = (people, erased)
    return found


def erase_subject(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, now: datetime
) -> int:
    """Forget the person and the salt; the commitment stays, so the chain still verifies."""
    result = session.execute(
        update(Subject)
        .where(Subject.board_id == board_id, Subject.person_id == person_id)
        .values(person_id=None, salt=None, erased_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def erase_payloads(
    session: Session, board_id: uuid.UUID, recorded_before: datetime, now: datetime
) -> int:
    """Retention: forget query, attributes and people of entries recorded before a moment."""
    old = select(Entry.id).where(Entry.board_id == board_id, Entry.recorded_at < recorded_before)
    result = session.execute(
        update(Payload)
        .where(Payload.board_id == board_id, Payload.entry_id.in_(old), Payload.salt.is_not(None))
        .values(salt=None, query=None, attribute_ids=None, erased_at=now)
    )
    session.execute(
        update(Subject)
        .where(Subject.board_id == board_id, Subject.entry_id.in_(old), Subject.salt.is_not(None))
        .values(person_id=None, salt=None, erased_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
