"""The reads of verification: which chains exist, a chain's rows in order, the person keys.

The database does the per-entry text work: it formats ids and times canonically and builds
each entry's whole hashed frame; PostgreSQL also hashes it with ``sha256()``, so Python only
compares. One read per entry, with its payload row beside it by ``(board_id, sequence)``
(ADR 0031).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import Integer, Uuid, bindparam, select, text, union
from sqlalchemy.orm import Session

from koppelvlak.audit.ledger import ChainRow, PersonKey
from koppelvlak.audit.models import ChainHead, Entry
from koppelvlak.audit.models import PersonKey as PersonKeyRow
from koppelvlak.roster.models import Board

STREAM_BATCH = 20_000


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


def _framed(expression: str) -> str:
    return f"length({expression}) || ':' || {expression} || ','"


# Canonical text of each hashed field, per dialect (SQLite stores a Uuid as 32 hex digits
# and a time as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, which is what we write).
_FIELDS = {
    "postgresql": {
        "id": "replace(e.id::text, '-', '')",
        "sequence": "e.sequence::text",
        "recorded_at": "to_char(e.recorded_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')",
        "provider_id": "replace(e.provider_id::text, '-', '')",
        "connection_id": "replace(e.connection_id::text, '-', '')",
    },
    "sqlite": {
        "id": "e.id",
        "sequence": "CAST(e.sequence AS TEXT)",
        "recorded_at": "replace(e.recorded_at, ' ', 'T') || '+00:00'",
        "provider_id": "e.provider_id",
        "connection_id": "e.connection_id",
    },
}


# The text part of a payload commitment's frame, as ``ledger.payload_frame`` builds it.
_PAYLOAD_TEXT = " || ".join(
    ["'13:kv-payload-v2,'", _framed("p.salt"), _framed("p.query"), _framed("p.attribute_ids")]
)


def _stream_sql(dialect: str, board_hex: str, bounded: bool) -> str:
    fields = _FIELDS[dialect]
    board = f"'{board_hex}'"  # 32 hex digits from a UUID, never user text
    frame = " || ".join(
        [
            "'11:kv-entry-v1,'",
            _framed(fields["id"]),
            _framed(board),
            _framed(fields["sequence"]),
            _framed(fields["recorded_at"]),
            _framed(fields["provider_id"]),
            _framed(fields["connection_id"]),
            _framed("e.channel"),
            _framed("e.endpoint"),
            _framed("e.response_digest"),
            _framed("e.previous_hash"),
            _framed("e.payload_commitment"),
        ]
    )
    if dialect == "postgresql":
        frame = f"encode(sha256(convert_to({frame}, 'UTF8')), 'hex')"
    return (
        f"SELECT {fields['id']}, e.sequence, {frame}, e.previous_hash, e.payload_commitment, "
        f"e.entry_hash, p.sequence, p.salt, p.query, p.attribute_ids, {_PAYLOAD_TEXT}, "
        "p.people, p.erased, "
        "p.v1_details, p.v1_subjects "
        "FROM audit_entry e LEFT JOIN audit_payload p "
        "ON p.board_id = e.board_id AND p.sequence = e.sequence "
        "WHERE e.board_id = :board AND e.sequence >= :first"
        + (" AND e.sequence <= :last" if bounded else "")
        + " ORDER BY e.sequence"
    )


def hashes_in_database(session: Session) -> bool:
    """Whether ``stream_chain`` hands over each entry's hash rather than its frame."""
    return session.get_bind().dialect.name == "postgresql"


def stream_chain(
    session: Session, board_id: uuid.UUID, first: int = 1, last: int | None = None
) -> Iterator[ChainRow]:
    """One board's entries in sequence order with their payload rows, as ``ChainRow``.

    ``people`` comes as stored (no type conversion per row): ``ledger`` reads both forms.
    """
    dialect = session.get_bind().dialect.name
    statement = text(_stream_sql(dialect, board_id.hex, last is not None))
    parameters: dict[str, object] = {"first": first}
    if last is not None:
        parameters["last"] = last
    statement = statement.bindparams(
        bindparam("board", board_id, type_=Uuid()),
        bindparam("first", type_=Integer()),
        *([bindparam("last", type_=Integer())] if last is not None else []),
    )
    result = session.connection().execute(
        statement, parameters, execution_options={"yield_per": STREAM_BATCH}
    )
    # Plain tuples: attribute access on a SQLAlchemy Row costs more than the hashing.
    return map(ChainRow._make, result)


def sequence_of_hash(session: Session, board_id: uuid.UUID, entry_hash: str) -> int | None:
    return session.scalar(
        select(Entry.sequence).where(Entry.board_id == board_id, Entry.entry_hash == entry_hash)
    )


def verification_keys(session: Session, board_id: uuid.UUID) -> dict[int, PersonKey]:
    """Every person key of the board: number -> (person id as hex ASCII, key)."""
    statement = select(PersonKeyRow.number, PersonKeyRow.person_id, PersonKeyRow.key).where(
        PersonKeyRow.board_id == board_id
    )
    return {
        number: (person_id.hex.encode(), key)
        for number, person_id, key in session.execute(statement)
    }


def verification_key(session: Session, board_id: uuid.UUID, number: int) -> PersonKey | None:
    """One key by number, for a person first disclosed after the keys were read."""
    found = session.execute(
        select(PersonKeyRow.person_id, PersonKeyRow.key).where(
            PersonKeyRow.board_id == board_id, PersonKeyRow.number == number
        )
    ).one_or_none()
    return None if found is None else (found[0].hex.encode(), found[1])
