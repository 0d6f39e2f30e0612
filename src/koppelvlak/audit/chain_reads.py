"""The reads of verification: which chains exist, a chain's rows in order, the person keys.

These feed the exact walk (``ledger.verify_chain``), which takes over wherever the quick
walk (``quick_walk``) stops. PostgreSQL does the per-entry text work here: it formats ids
and times canonically, builds each entry's hashed frame and hashes it with ``sha256()``, so
Python only compares. SQLite hands over plain columns from the driver's cursor and Python
frames them. One read per entry, with its payload row beside it by ``(board_id, sequence)``
(ADR 0031).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    String,
    Uuid,
    bindparam,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session

from koppelvlak.audit.ledger import ChainRow, PersonKey, prepared
from koppelvlak.audit.models import ChainHead, Entry
from koppelvlak.audit.models import PersonKey as PersonKeyRow
from koppelvlak.roster.models import Board

STREAM_BATCH = 20_000


def chains(
    session: Session, board_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str | None, int | None, str | None]]:
    """Every chain to verify: boards with a head or with entries (a lost head is a break)."""
    boards = union(select(ChainHead.board_id), _entry_boards()).subquery()
    statement = (
        select(boards.c.board_id, Board.code, ChainHead.last_sequence, ChainHead.last_hash)
        .outerjoin(ChainHead, ChainHead.board_id == boards.c.board_id)
        .outerjoin(Board, Board.id == boards.c.board_id)
        .order_by(Board.code, boards.c.board_id)
    )
    if board_id is not None:
        statement = statement.where(boards.c.board_id == board_id)
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(statement)]


def _entry_boards() -> Select[tuple[uuid.UUID]]:
    """The boards that have entries, found by skipping along the ``(board_id, sequence)``
    index one board at a time: ``DISTINCT`` reads every entry's index row (0.4 s on SQLite,
    0.8 s on PostgreSQL for a million entries, against a millisecond)."""

    def next_board(after: ColumnElement[uuid.UUID] | None) -> ScalarSelect[uuid.UUID]:
        statement = select(Entry.board_id).order_by(Entry.board_id).limit(1)
        if after is not None:
            statement = statement.where(Entry.board_id > after)
        return statement.scalar_subquery()

    found = select(next_board(None).label("board_id")).cte("entry_boards", recursive=True)
    found = found.union_all(
        select(next_board(found.c.board_id)).where(found.c.board_id.is_not(None))
    )
    return select(found.c.board_id).where(found.c.board_id.is_not(None))


def _framed(expression: str) -> str:
    return f"length({expression}) || ':' || {expression} || ','"


# PostgreSQL builds each entry's canonical frame (``ledger.entry_frame``) and hashes it, and
# builds the text part of the payload frame (``ledger.payload_frame``); the server does that
# work beside the client. On SQLite string building in SQL costs more than Python's
# f-strings (measured: 5.7 µs a row against 2), so there Python frames plain columns.
_PG_ENTRY_FRAME = " || ".join(
    [
        "'11:kv-entry-v1,'",
        _framed("replace(e.id::text, '-', '')"),
        _framed(":board_hex"),
        _framed("e.sequence::text"),
        _framed(
            "to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
        ),
        _framed("replace(e.provider_id::text, '-', '')"),
        _framed("replace(e.connection_id::text, '-', '')"),
        _framed("e.channel"),
        _framed("e.endpoint"),
        _framed("e.response_digest"),
        _framed("e.previous_hash"),
        _framed("e.payload_commitment"),
    ]
)
_PG_PAYLOAD_TEXT = " || ".join(
    ["'13:kv-payload-v2,'", _framed("p.salt"), _framed("p.query"), _framed("p.attribute_ids")]
)
_PG_COLUMNS = (
    "replace(e.id::text, '-', ''), e.sequence, "
    f"encode(sha256(convert_to({_PG_ENTRY_FRAME}, 'UTF8')), 'hex'), "
    "e.previous_hash, e.payload_commitment, e.entry_hash, p.sequence, p.salt, p.query, "
    f"p.attribute_ids, {_PG_PAYLOAD_TEXT}, p.people, p.erased, p.v1_details, p.v1_subjects"
)
# SQLite stores a Uuid as 32 hex digits and a time as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
_SQLITE_COLUMNS = (
    "e.id, e.sequence, e.recorded_at, e.provider_id, e.connection_id, e.channel, e.endpoint, "
    "e.response_digest, e.previous_hash, e.payload_commitment, e.entry_hash, p.sequence, "
    "p.salt, p.query, p.attribute_ids, p.people, p.erased, p.v1_details, p.v1_subjects"
)


def _stream_sql(columns: str, bounded: bool) -> str:
    return (  # built from this module's constants only; values are bound parameters
        f"SELECT {columns} FROM audit_entry e LEFT JOIN audit_payload p "  # noqa: S608
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
    parameters: dict[str, object] = {"first": first}
    if last is not None:
        parameters["last"] = last
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_rows(session, board_id, parameters)
    statement = text(_stream_sql(_PG_COLUMNS, last is not None)).bindparams(
        bindparam("board", board_id, type_=Uuid()),
        bindparam("board_hex", board_id.hex, type_=String()),
        bindparam("first", type_=Integer()),
        *([bindparam("last", type_=Integer())] if last is not None else []),
    )
    result = session.connection().execute(
        statement, parameters, execution_options={"yield_per": STREAM_BATCH}
    )
    return map(ChainRow._make, result)


def _sqlite_rows(
    session: Session, board_id: uuid.UUID, parameters: dict[str, object]
) -> Iterator[ChainRow]:
    """SQLite's rows straight from the driver's cursor, framed here (see above)."""
    board = f"32:{board_id.hex},"
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(
            _stream_sql(_SQLITE_COLUMNS, "last" in parameters),
            {**parameters, "board": board_id.hex},
        )
        while rows := cursor.fetchmany(STREAM_BATCH):
            for (
                entry_id,
                sequence,
                recorded_at,
                provider_id,
                connection_id,
                channel,
                endpoint,
                digest,
                previous,
                commitment,
                entry_hash,
                payload_sequence,
                salt,
                query,
                attribute_ids,
                people,
                erased,
                v1_details,
                v1_subjects,
            ) in rows:
                number = str(sequence)
                moment = recorded_at.replace(" ", "T") + "+00:00"
                frame = (
                    f"11:kv-entry-v1,{len(entry_id)}:{entry_id},{board}"
                    f"{len(number)}:{number},{len(moment)}:{moment},"
                    f"{len(provider_id)}:{provider_id},{len(connection_id)}:{connection_id},"
                    f"{len(channel)}:{channel},{len(endpoint)}:{endpoint},"
                    f"{len(digest)}:{digest},{len(previous)}:{previous},"
                    f"{len(commitment)}:{commitment},"
                )
                payload_text = (
                    None
                    if salt is None or query is None or attribute_ids is None
                    else f"13:kv-payload-v2,{len(salt)}:{salt},{len(query)}:{query},"
                    f"{len(attribute_ids)}:{attribute_ids},"
                )
                yield ChainRow(
                    entry_id,
                    sequence,
                    frame,
                    previous,
                    commitment,
                    entry_hash,
                    payload_sequence,
                    salt,
                    query,
                    attribute_ids,
                    payload_text,
                    people,
                    erased,
                    v1_details,
                    v1_subjects,
                )
    finally:
        cursor.close()


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
        number: (person_id.hex.encode(), prepared(key))
        for number, person_id, key in session.execute(statement)
    }


def verification_key(session: Session, board_id: uuid.UUID, number: int) -> PersonKey | None:
    """One key by number, for a person first disclosed after the keys were read."""
    found = session.execute(
        select(PersonKeyRow.person_id, PersonKeyRow.key).where(
            PersonKeyRow.board_id == board_id, PersonKeyRow.number == number
        )
    ).one_or_none()
    return None if found is None else (found[0].hex.encode(), prepared(found[1]))
