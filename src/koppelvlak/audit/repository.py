"""Every ledger query but the append: the two views, erasure and retention.

Appending lives in ``appends`` (the hot path, driver-level), reading chains for verification
in ``chain_reads``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
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
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from koppelvlak.audit import ledger, legacy
from koppelvlak.audit.models import (
    ChainHead,
    Entry,
    Payload,
    PersonKey,
    pack_numbers,
)
from koppelvlak.roster.models import Board

CHUNK = 500  # ids per IN list


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session) -> Any:
    return postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert


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
