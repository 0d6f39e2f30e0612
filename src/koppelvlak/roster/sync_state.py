"""The fingerprint that lets a re-sync skip a school whose source and rows have not moved.

Comparing a 50,000-student school record by record costs about a second even when nothing
changed, and reading its file another second and a half. A school's fingerprint ties three
things together: the source the snapshot was read from (``SchoolSnapshot.fingerprint``: the
digest of a UWLR answer's bytes, its file name and the reader's version), the state of the
school's rows as a few SQL aggregates per table (row count, live row count, latest
``updated_at``; the school row itself and the board's school years too), and the import run
that stored it, whose warnings are those of reading that source. It is stored on the school
after every sync that had a source fingerprint, computed after that sync's own writes.

Two checks use it. Before a file is parsed (``find_unchanged``), the digest of its bytes picks
the school whose last sync read the same bytes, and the aggregates tell whether its rows are
still what that sync left: then the file is not read at all (ADR 0072). After parsing
(``sync_school``), the same value means the same source applied to the same rows, which the
sync leaves unchanged (it is idempotent), so nothing is loaded, compared or written (ADR 0071).
Any other writer of roster rows moves ``updated_at`` (the models' ``onupdate``) or a count, so
the aggregates differ and the school is compared in full.

Stored form, 64 characters in ``school.sync_fingerprint``: the run's id (32 hex digits), a
32-bit tag of the source (8 hex digits: it only narrows the search, a false match is caught
by the next part) and a 96-bit digest of the source and the aggregates (24 hex digits). A
value in any other form (an older release's) matches nothing, so that school is compared in
full once and stored anew.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from koppelvlak.roster.bulk import Writer

# Per table of one school: (row count, live rows, latest change). Memberships and guardianships
# are found through their group or student, as the sync's loaders find them.
_AGGREGATES = "count(*), count(*) - count({p}removed_at), max({p}updated_at)"
_VIA_GROUP = "{}_membership m JOIN roster_group o ON o.id = m.group_id"
_SCHOOL_QUERIES = (
    "SELECT name, sector, source_key, removed_at, updated_at FROM school WHERE id = {}",
    *(
        f"SELECT {_AGGREGATES.format(p=prefix)}{extra} FROM {source} WHERE {where} = {{}}"  # noqa: S608  (names from our metadata; the id is a parameter)
        for source, prefix, where, extra in (
            ("roster_group", "", "school_id", ", count(school_year_id)"),
            ("student", "", "school_id", ""),
            ("staff", "", "school_id", ""),
            (_VIA_GROUP.format("student"), "m.", "o.school_id", ""),
            (_VIA_GROUP.format("staff"), "m.", "o.school_id", ""),
            ("guardianship m JOIN student o ON o.id = m.student_id", "m.", "o.school_id", ""),
        )
    ),
)
_BOARD_QUERIES = (
    f"SELECT {_AGGREGATES.format(p='')} FROM guardian WHERE board_id = {{}}",  # noqa: S608  (as above)
    "SELECT count(*), max(updated_at) FROM school_year WHERE board_id = {}",
)
_RUN, _TAG, _STATE = 32, 8, 24
LENGTH = _RUN + _TAG + _STATE


@dataclass(frozen=True, slots=True)
class Kept:
    """A school's stored fingerprint, split: the run that stored it, the source tag, the state."""

    run_id: uuid.UUID
    tag: str
    state: str

    def matches(self, source: str, state: str) -> bool:
        return self.tag == tag(source) and self.state == state


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A school whose last sync read these very bytes and whose rows are as it left them."""

    school_id: uuid.UUID
    board_id: uuid.UUID
    run_id: uuid.UUID


def tag(source: str) -> str:
    """A short tag of a source fingerprint, to find the schools that may have read it."""
    return hashlib.blake2b(source.encode(), digest_size=4, person=b"kv-tag").hexdigest()


def current(session: Session, school_id: uuid.UUID, board_id: uuid.UUID, source: str) -> str:
    """The state digest of applying ``source`` to the school's rows as they are now."""
    writer = Writer(session)
    digest = hashlib.blake2b(source.encode(), digest_size=_STATE // 2, person=b"kv-state")
    for sql in _SCHOOL_QUERIES:
        digest.update(repr(writer.select(sql, school_id)).encode())
    for sql in _BOARD_QUERIES:
        digest.update(repr(writer.select(sql, board_id)).encode())
    return digest.hexdigest()


def stored(session: Session, school_id: uuid.UUID) -> Kept | None:
    rows = Writer(session).select("SELECT sync_fingerprint FROM school WHERE id = {}", school_id)
    return _split(rows[0][0]) if rows else None


def store(
    session: Session, school_id: uuid.UUID, run_id: uuid.UUID, source: str, state: str
) -> None:
    """Remember the fingerprint, without moving the school's ``updated_at`` (not a change)."""
    Writer(session).execute(
        "UPDATE school SET sync_fingerprint = {} WHERE id = {}",
        run_id.hex + tag(source) + state,
        school_id,
    )


def find_unchanged(session: Session, source: str, board_id: uuid.UUID | None) -> Unchanged | None:
    """The school (of ``board_id``, or of any board) that a sync of ``source`` would leave alone.

    Without a board the import would infer it from the school's BRIN and location, so the match
    must be the only school with those: otherwise the caller parses and lets the import decide.
    """
    writer = Writer(session)
    sql = "SELECT id, board_id, brin, location_code, sync_fingerprint FROM school"
    params: tuple[object, ...] = ()
    if board_id is not None:
        sql += " WHERE board_id = {}"
        params = (board_id,)
    wanted = tag(source)
    candidates = [
        (uuid.UUID(hex=str(row[0])), uuid.UUID(hex=str(row[1])), row[2], row[3], kept)
        for row in writer.select(sql, *params)
        if (kept := _split(row[4])) is not None and kept.tag == wanted
    ]
    for school_id, school_board, brin, location, kept in candidates:
        if kept.state != current(session, school_id, school_board, source):
            continue
        if board_id is None and _boards_with(writer, brin, location) != 1:
            return None
        return Unchanged(school_id, school_board, kept.run_id)
    return None


def _boards_with(writer: Writer, brin: str, location: str) -> int:
    sql = "SELECT count(*) FROM school WHERE brin = {} AND location_code = {}"
    return int(writer.select(sql, brin, location)[0][0])


def _split(value: str | None) -> Kept | None:
    if value is None or len(value) != LENGTH:
        return None
    try:
        run_id = uuid.UUID(hex=value[:_RUN])
    except ValueError:
        return None
    return Kept(run_id, value[_RUN : _RUN + _TAG], value[_RUN + _TAG :])
