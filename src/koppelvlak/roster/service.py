"""Import use cases: apply a parsed snapshot to a board in one transaction, keep the history.

The caller's unit of work commits once. A refused import is rolled back by that unit of work and
then recorded with ``record_refused`` in a unit of work of its own, so the import history is the
only trace it leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit import changes as noted
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.kit.gc_pause import collector_paused
from koppelvlak.roster import repository, sync_state
from koppelvlak.roster.bulk import Writer
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.models import Board, EntityKind, ImportOutcome, ImportRun
from koppelvlak.roster.school_sync import board_guardians, sync_school
from koppelvlak.roster.sync import Changes

KINDS = ("school", "group", "student", "staff", "guardian", "membership")
MAX_WARNINGS_KEPT = 200


@dataclass(frozen=True, slots=True)
class SyncedChanges:
    """Who and what one import changed in one school, as internal ids.

    A person or group is listed when its own row was added, changed or removed, or when one of
    its links was (a student who joins a group lists both the student and the group; a changed
    guardianship lists the student and the guardian). This is exactly what a kept release has
    to refresh after the import; a school the sync skipped as unchanged lists nothing.
    """

    school_id: uuid.UUID
    school_changed: bool
    student_ids: frozenset[uuid.UUID]
    staff_ids: frozenset[uuid.UUID]
    group_ids: frozenset[uuid.UUID]
    guardian_ids: frozenset[uuid.UUID]

    @property
    def empty(self) -> bool:
        return not (
            self.school_changed
            or self.student_ids
            or self.staff_ids
            or self.group_ids
            or self.guardian_ids
        )


@dataclass(frozen=True)
class ImportReport:
    run_id: uuid.UUID
    board_id: uuid.UUID | None
    counts: dict[str, dict[str, int]]
    warnings: tuple[str, ...]
    synced: tuple[SyncedChanges, ...] = ()  # one per school in the snapshot, in its order
    guardian_ids: frozenset[uuid.UUID] = frozenset()  # board-wide guardians that changed
    unchanged: bool = False  # the source equals the one the school's last sync read: not parsed


def resolve_board(session: Session, code: str | None, snapshot: Snapshot) -> uuid.UUID:
    """The board to import into: ``--board CODE`` (created if missing), else inferred."""
    code = code or snapshot.board_hint
    if code is not None:
        found = repository.find_board(session, code)
        if found is not None:
            return found
        board_id = uuid.uuid4()
        now = utcnow()
        session.execute(
            insert(Board).values(id=board_id, code=code, name=code, created_at=now, updated_at=now)
        )
        return board_id
    for school in snapshot.schools:
        boards = repository.boards_with_school(session, school.brin, school.location_code)
        if len(boards) == 1:
            return boards[0]
    boards = repository.all_boards(session)
    if len(boards) == 1:
        return boards[0]
    raise ImportFailed(
        "cannot tell which board this school belongs to; expected --board CODE",
        location=snapshot.source,
    )


def apply_snapshot(
    session: Session,
    snapshot: Snapshot,
    *,
    board_code: str | None,
    today: date,
    started_at: datetime | None = None,
    source: str | None = None,
    source_kind: str | None = None,
    progress: Callable[[str], None] | None = None,
    at: datetime | None = None,
) -> ImportReport:
    """Bring the board in step with the snapshot (flushes, never commits); ``at``: now."""
    board_id = resolve_board(session, board_code, snapshot)
    now = as_utc(at) if at is not None else utcnow()
    run_id = uuid.uuid4()
    session.execute(
        insert(ImportRun).values(
            id=run_id,
            board_id=board_id,
            started_at=started_at or now,
            source=(source or snapshot.source)[:1000],
            source_kind=source_kind or snapshot.source_kind,
            outcome=ImportOutcome.OK,
        )
    )
    writer = Writer(session)
    changes = Changes(board_id=board_id.hex, run_id=run_id.hex, now=now, stamp=writer.stamp(now))
    # Some 500,000 rows and tuples alive at once, no cycles; SQLite's index pages kept in memory.
    with collector_paused(), writer.roomy_cache():
        guardians = board_guardians(session, snapshot, board_id, changes)
        guardian_ids = _ids(changes.take(), EntityKind.GUARDIAN)
        synced = []
        for school in snapshot.schools:
            if progress is not None:
                progress(f"{school.brin}{school.location_code}")
            school_id = sync_school(
                session,
                school,
                board_id=board_id,
                guardians=guardians,
                changes=changes,
                today=today,
            )
            synced.append(_synced(school_id, changes.take()))
        _note_changed(session, synced, now)
        changes.flush(session)
    counts = _counts(changes, repository.live_totals(session, board_id))
    session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(
            finished_at=utcnow(),
            counts=counts,
            warnings=list(snapshot.warnings[:MAX_WARNINGS_KEPT]),
        )
    )
    return ImportReport(run_id, board_id, counts, snapshot.warnings, tuple(synced), guardian_ids)


def _note_changed(session: Session, synced: list[SyncedChanges], now: datetime) -> None:
    """The kept releases of the changed schools follow, for the people the import changed.

    One set for all schools, so a student who moved between two schools in this import is
    refreshed at both; staff of a changed group too (a group's year group is part of their
    year-group scope). A changed school row refreshes everyone.
    """
    changed = [s for s in synced if s.school_changed or s.student_ids or s.staff_ids or s.group_ids]
    if not changed:
        return
    people: set[uuid.UUID] | None = None
    if not any(s.school_changed for s in changed):
        found: set[uuid.UUID] = set()
        for s in changed:
            found |= s.student_ids | s.staff_ids
        groups = frozenset().union(*(s.group_ids for s in changed))
        found |= repository.staff_of_groups(session, groups)
        people = found if len(found) <= _PEOPLE_LIMIT else None
    for s in changed:
        noted.school_changed(session, s.school_id, now, people)


_PEOPLE_LIMIT = 5_000  # beyond this a whole-school refresh is cheaper than a long IN list


def last_successful_run(session: Session, source_kind: str, source: str) -> datetime | None:
    """When the last import of this exact source succeeded (for UWLR's laatstontvangengegevens)."""
    started = session.scalar(
        select(ImportRun.started_at)
        .where(
            ImportRun.source_kind == source_kind,
            ImportRun.source == source,
            ImportRun.outcome == ImportOutcome.OK,
        )
        .order_by(ImportRun.started_at.desc())
        .limit(1)
    )
    return None if started is None else as_utc(started)


def skip_unchanged(
    session: Session,
    *,
    fingerprint: str,
    board_code: str | None,
    source_kind: str,
    source: str,
    started_at: datetime,
) -> ImportReport | None:
    """Record an import of a source the school's last sync already applied, without reading it.

    ``fingerprint`` is what a snapshot of the source would carry (``uwlr.file_fingerprint``).
    When a school's stored fingerprint names it and the school's rows are as that sync left
    them (``sync_state``), applying the source would change nothing: the run is recorded with
    no changes and the warnings of the run that read these bytes, and the report says so. A
    run whose kept warnings may have been cut short is not repeated: the file is read again.
    ``None``: the source must be parsed and applied as usual (ADR 0072).
    """
    board_id = repository.find_board(session, board_code) if board_code else None
    if board_code and board_id is None:
        return None
    match = sync_state.find_unchanged(session, fingerprint, board_id)
    if match is None:
        return None
    warnings = session.scalar(
        select(ImportRun.warnings).where(
            ImportRun.id == match.run_id, ImportRun.outcome == ImportOutcome.OK
        )
    )
    if warnings is None or len(warnings) >= MAX_WARNINGS_KEPT:
        return None
    totals = repository.live_totals(session, match.board_id)
    counts = {
        kind: {"added": 0, "changed": 0, "removed": 0, "total": totals[kind]} for kind in KINDS
    }
    run_id = uuid.uuid4()
    session.execute(
        insert(ImportRun).values(
            id=run_id,
            board_id=match.board_id,
            started_at=started_at,
            finished_at=utcnow(),
            source=source[:1000],
            source_kind=source_kind,
            outcome=ImportOutcome.OK,
            counts=counts,
            warnings=list(warnings),
        )
    )
    return ImportReport(run_id, match.board_id, counts, tuple(warnings), unchanged=True)


def record_refused(
    session: Session,
    *,
    source_kind: str,
    source: str,
    error: KoppelvlakError,
    started_at: datetime,
    board_code: str | None,
) -> uuid.UUID:
    """Write the one trace a refused import leaves: a row in the import history."""
    board_id = repository.find_board(session, board_code) if board_code else None
    run_id = uuid.uuid4()
    session.execute(
        insert(ImportRun).values(
            id=run_id,
            board_id=board_id,
            started_at=started_at,
            finished_at=utcnow(),
            source_kind=source_kind,
            source=source[:1000],
            outcome=ImportOutcome.ERROR,
            error=str(error.detail)
            if not isinstance(error, ImportFailed) or len(error.problems) < 2
            else "\n".join(error.problems),
            location=(error.location or "")[:1000] or None,
        )
    )
    return run_id


def _ids(touched: dict[EntityKind, set[str]], kind: EntityKind) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(hex=value) for value in touched.get(kind, ()))


def _synced(school_id: uuid.UUID, touched: dict[EntityKind, set[str]]) -> SyncedChanges:
    return SyncedChanges(
        school_id=school_id,
        school_changed=EntityKind.SCHOOL in touched,
        student_ids=_ids(touched, EntityKind.STUDENT),
        staff_ids=_ids(touched, EntityKind.STAFF),
        group_ids=_ids(touched, EntityKind.GROUP),
        guardian_ids=_ids(touched, EntityKind.GUARDIAN),
    )


def _counts(changes: Changes, totals: dict[str, int]) -> dict[str, dict[str, int]]:
    return {
        kind: {
            **changes.counts.get(kind, {"added": 0, "changed": 0, "removed": 0}),
            "total": totals[kind],
        }
        for kind in KINDS
    }
