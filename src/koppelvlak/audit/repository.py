"""Every ledger query: appending under the chain lock, person keys, the two views, erasure.

Reading chains for verification lives in ``chain_reads``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    LargeBinary,
    Row,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from koppelvlak.audit import ledger, legacy
from koppelvlak.audit.ledger import GENESIS
from koppelvlak.audit.models import (
    KEY_BYTES,
    ChainHead,
    Entry,
    Payload,
    PersonKey,
    pack_numbers,
)
from koppelvlak.audit.sealing import WriterKey
from koppelvlak.roster.models import Board

CHUNK = 500  # ids per IN list


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session) -> Any:
    return postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert


def advance_head(session: Session, board_id: uuid.UUID, now: datetime) -> tuple[int, str, int]:
    """Take the board's chain lock and the next sequence: (sequence, previous hash, erasures).

    The ``UPDATE … RETURNING`` takes the head row's lock on PostgreSQL (as ``SELECT … FOR
    UPDATE`` would) and SQLite's write lock before anything is read, so concurrent appends to
    one board queue here while other boards go on (ADR 0030).
    """
    statement = (
        update(ChainHead)
        .where(ChainHead.board_id == board_id)
        .values(last_sequence=ChainHead.last_sequence + 1, updated_at=now)
        .returning(ChainHead.last_sequence, ChainHead.last_hash, ChainHead.erasures)
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        _create_head(session, board_id, now)
        row = session.execute(statement).one()
    return int(row[0]), str(row[1]), int(row[2])


def _create_head(session: Session, board_id: uuid.UUID, now: datetime) -> None:
    values = {"board_id": board_id, "last_sequence": 0, "last_hash": GENESIS, "updated_at": now}
    session.execute(_insert(session)(ChainHead).values(**values).on_conflict_do_nothing())


def set_head_hash(session: Session, board_id: uuid.UUID, entry_hash: str) -> None:
    session.execute(
        update(ChainHead).where(ChainHead.board_id == board_id).values(last_hash=entry_hash)
    )


def erasures(session: Session, board_id: uuid.UUID) -> int | None:
    """How many person erasures the board's chain has seen (None before its first entry)."""
    return session.scalar(select(ChainHead.erasures).where(ChainHead.board_id == board_id))


def person_keys(
    session: Session, board_id: uuid.UUID, person_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, WriterKey]:
    """The keys of those people that have one in this board's ledger."""
    found: dict[uuid.UUID, WriterKey] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), CHUNK):
        statement = select(PersonKey.person_id, PersonKey.number, PersonKey.key).where(
            PersonKey.board_id == board_id, PersonKey.person_id.in_(ids[start : start + CHUNK])
        )
        for person_id, number, key in session.execute(statement):
            found[person_id] = (number, key)
    return found


def add_person_keys(
    session: Session, board_id: uuid.UUID, person_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, WriterKey]:
    """Give these people a fresh random key (and number); keeps a key someone else just made."""
    rows = [
        {"board_id": board_id, "person_id": person_id, "key": secrets.token_bytes(KEY_BYTES)}
        for person_id in person_ids
    ]
    statement = (
        _insert(session)(PersonKey)
        .on_conflict_do_nothing()
        .returning(PersonKey.person_id, PersonKey.number, PersonKey.key)
    )
    made = {row[0]: (row[1], row[2]) for row in session.execute(statement, rows)}
    if len(made) < len(rows):
        made |= person_keys(session, board_id, set(person_ids) - made.keys())
    return made


def add_entry(session: Session, entry: dict[str, Any], payload: dict[str, Any]) -> None:
    session.execute(insert(Entry).values(**entry))
    session.execute(insert(Payload).values(**payload))


def board_id_for_code(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == code))


def _payload_of_entry() -> ColumnElement[bool]:
    return and_(Payload.board_id == Entry.board_id, Payload.sequence == Entry.sequence)


def _names(session: Session, number: int) -> ColumnElement[bool]:
    """Payload rows that may name this person number (SQLite: check ``people`` afterwards)."""
    if _dialect(session) == "postgresql":  # the GIN index ix_audit_payload_people
        return type_coerce(Payload.people, postgresql.ARRAY(Integer)).contains([number])
    return func.instr(Payload.people, literal(pack_numbers([number]), LargeBinary)) > 0


def person_number(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> int | None:
    return session.scalar(
        select(PersonKey.number).where(
            PersonKey.board_id == board_id, PersonKey.person_id == person_id
        )
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
        Payload.people,
        Payload.erased,
        Payload.v1_subjects,
    )


def person_disclosures(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> list[Row[Any]]:
    number = person_number(session, board_id, person_id)
    if number is None:
        return []
    statement = (
        select(*_disclosure_columns())
        .join(Payload, _payload_of_entry())
        .where(Payload.board_id == board_id, _names(session, number))
        .order_by(Entry.sequence)
    )
    return [row for row in session.execute(statement) if number in (row.people or ())]


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
        .outerjoin(Payload, _payload_of_entry())
        .where(and_(*conditions))
        .order_by(Entry.sequence)
    )
    return session.execute(statement).all()


def people_by_number(
    session: Session, board_id: uuid.UUID, numbers: Iterable[int]
) -> dict[int, uuid.UUID]:
    wanted = sorted(set(numbers))
    found: dict[int, uuid.UUID] = {}
    for start in range(0, len(wanted), CHUNK):
        statement = select(PersonKey.number, PersonKey.person_id).where(
            PersonKey.board_id == board_id, PersonKey.number.in_(wanted[start : start + CHUNK])
        )
        found.update(dict(session.execute(statement).all()))
    return found


def erased_people(erased: bytes | None, v1_subjects: str | None) -> int:
    """How many people were erased from one entry."""
    if v1_subjects is not None:
        return legacy.erased_count(v1_subjects)
    return len(erased) // ledger.COMMITMENT_BYTES if erased else 0


def erase_person(session: Session, board_id: uuid.UUID, person_id: uuid.UUID, now: datetime) -> int:
    """Replace the person by their commitment in every entry, then destroy their key.

    Takes the board's chain lock first, so no append can use the key while it goes (an
    append that read it earlier sees ``erasures`` move and reads keys again).
    """
    session.execute(
        update(ChainHead)
        .where(ChainHead.board_id == board_id)
        .values(erasures=ChainHead.erasures + 1, updated_at=now)
    )
    found = session.execute(
        select(PersonKey.number, PersonKey.key).where(
            PersonKey.board_id == board_id, PersonKey.person_id == person_id
        )
    ).one_or_none()
    if found is None:
        return 0
    number, key = found
    person_hex = person_id.hex
    rows = session.execute(
        select(Payload.sequence, Entry.id, Payload.people, Payload.erased, Payload.v1_subjects)
        .join(Entry, _payload_of_entry())
        .where(Payload.board_id == board_id, _names(session, number))
    ).all()
    changed = 0
    for sequence, entry_id, people, erased, v1_subjects in rows:
        if people is None or number not in people:
            continue
        values: dict[str, Any] = {"people": tuple(n for n in people if n != number) or None}
        if v1_subjects is not None:
            values["v1_subjects"], _ = legacy.without_person(v1_subjects, person_hex)
        else:
            commitment = ledger.person_commitment(key, entry_id.hex.encode(), person_hex.encode())
            values["erased"] = (erased or b"") + commitment
        session.execute(
            update(Payload)
            .where(Payload.board_id == board_id, Payload.sequence == sequence)
            .values(**values)
        )
        changed += 1
    session.execute(delete(PersonKey).where(PersonKey.number == number))
    return changed


def erase_payloads(
    session: Session, board_id: uuid.UUID, recorded_before: datetime, now: datetime
) -> int:
    """Retention: forget query, attributes and people of entries recorded before a moment."""
    old = select(Entry.sequence).where(
        Entry.board_id == board_id, Entry.recorded_at < recorded_before
    )
    kept = and_(Payload.board_id == board_id, Payload.sequence.in_(old), Payload.salt.is_not(None))
    for sequence, subjects in session.execute(
        select(Payload.sequence, Payload.v1_subjects).where(kept, Payload.v1_subjects.is_not(None))
    ).all():
        session.execute(
            update(Payload)
            .where(Payload.board_id == board_id, Payload.sequence == sequence)
            .values(v1_subjects=legacy.forgotten(subjects or ""))
        )
    result = session.execute(
        update(Payload)
        .where(kept)
        .values(salt=None, query=None, attribute_ids=None, people=None, erased=None, erased_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
