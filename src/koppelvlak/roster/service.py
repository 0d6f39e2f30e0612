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
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.roster import repository
from koppelvlak.roster.bulk import Writer
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import SchoolSnapshot, Snapshot
from koppelvlak.roster.models import (
    Board,
    ChangeKind,
    EntityKind,
    Group,
    Guardian,
    Guardianship,
    ImportOutcome,
    ImportRun,
    School,
    SchoolYear,
    Sector,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)
from koppelvlak.roster.repository import table_of
from koppelvlak.roster.sync import (
    Changes,
    EntitySpec,
    LinkSpec,
    stable_id,
    student_removal,
    sync_entities,
    sync_links,
)

KINDS = ("school", "group", "student", "staff", "guardian", "membership")
GROUP_FIELDS = ("kind", "name", "description", "year_group", "school_year_id")
STUDENT_FIELDS = (
    "eckid",
    "family_name",
    "name_prefix",
    "given_name",
    "first_names",
    "initials",
    "birth_date",
    "sex",
    "year_group",
    "email",
    "username",
    "group3_start_date",
    "enrolment_start",
    "enrolment_end",
    "location_key",
    "photo_url",
)
STAFF_FIELDS = (
    "eckid",
    "family_name",
    "name_prefix",
    "given_name",
    "first_names",
    "initials",
    "email",
    "username",
    "role",
    "role_description",
)
GUARDIAN_FIELDS = ("family_name", "name_prefix", "given_name", "email", "phone")
MAX_WARNINGS_KEPT = 200


@dataclass(frozen=True)
class ImportReport:
    run_id: uuid.UUID
    board_id: uuid.UUID | None
    counts: dict[str, dict[str, int]]
    warnings: tuple[str, ...]


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
) -> ImportReport:
    """Bring the board in step with the snapshot (flushes, never commits)."""
    board_id = resolve_board(session, board_code, snapshot)
    now = utcnow()
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
    stamp = Writer(session).stamp(now)
    changes = Changes(board_id=board_id.hex, run_id=run_id.hex, now=now, stamp=stamp)
    guardians = _sync_guardians(session, snapshot, board_id, changes)
    for school in snapshot.schools:
        if progress is not None:
            progress(f"{school.brin}{school.location_code}")
        _sync_school(
            session, school, board_id=board_id, guardians=guardians, changes=changes, today=today
        )
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
    return ImportReport(run_id, board_id, counts, snapshot.warnings)


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


def _counts(changes: Changes, totals: dict[str, int]) -> dict[str, dict[str, int]]:
    return {
        kind: {
            **changes.counts.get(kind, {"added": 0, "changed": 0, "removed": 0}),
            "total": totals[kind],
        }
        for kind in KINDS
    }


def _sync_guardians(
    session: Session, snapshot: Snapshot, board_id: uuid.UUID, changes: Changes
) -> dict[str, str]:
    part = snapshot.guardians
    table = table_of(Guardian)
    existing = repository.load_keyed(session, table, GUARDIAN_FIELDS, ("board_id", board_id))
    spec = EntitySpec(
        table,
        EntityKind.GUARDIAN,
        GUARDIAN_FIELDS,
        {"board_id": board_id.hex},
        (board_id, "guardian"),
    )
    return sync_entities(session, spec, part, existing, changes)


def _school_row(
    session: Session, school: SchoolSnapshot, board_id: uuid.UUID, changes: Changes
) -> uuid.UUID:
    found = session.execute(
        select(School.id, School.name, School.sector, School.source_key, School.removed_at).where(
            School.board_id == board_id,
            School.brin == school.brin,
            School.location_code == school.location_code,
        )
    ).first()
    wanted = {"sector": Sector(school.sector)}
    if school.name is not None:
        wanted["name"] = school.name  # type: ignore[assignment]  # str column beside the enum
    if school.source_key is not None:
        wanted["source_key"] = school.source_key  # type: ignore[assignment]  # as above
    if found is None:
        school_id = stable_id(board_id, "school", school.brin, school.location_code)
        session.execute(
            insert(School).values(
                id=school_id,
                board_id=board_id,
                brin=school.brin,
                location_code=school.location_code,
                created_at=changes.now,
                updated_at=changes.now,
                **{"name": f"{school.brin}-{school.location_code}", **wanted},
            )
        )
        changes.add(EntityKind.SCHOOL, school_id, ChangeKind.ADDED, None)
        return school_id
    current = {"name": found.name, "sector": found.sector, "source_key": found.source_key}
    changed = sorted(name for name, value in wanted.items() if current[name] != value)
    if changed or found.removed_at is not None:
        session.execute(
            update(School)
            .where(School.id == found.id)
            .values(**wanted, removed_at=None, updated_at=changes.now)
        )
        kind = ChangeKind.ADDED if found.removed_at is not None else ChangeKind.CHANGED
        changes.add(EntityKind.SCHOOL, found.id, kind, changed)
    return found.id  # type: ignore[no-any-return]  # a UUID column


def _school_year(session: Session, school: SchoolSnapshot, board_id: uuid.UUID) -> uuid.UUID | None:
    year = school.school_year
    if year is None:
        return None
    found = session.scalar(
        select(SchoolYear.id).where(SchoolYear.board_id == board_id, SchoolYear.name == year.name)
    )
    if found is not None:
        return found
    year_id = stable_id(board_id, "school_year", year.name)
    now = utcnow()
    session.execute(
        insert(SchoolYear).values(
            id=year_id,
            board_id=board_id,
            name=year.name,
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            created_at=now,
            updated_at=now,
        )
    )
    return year_id


def _sync_school(
    session: Session,
    school: SchoolSnapshot,
    *,
    board_id: uuid.UUID,
    guardians: dict[str, str],
    changes: Changes,
    today: date,
) -> None:
    school_id = _school_row(session, school, board_id, changes)
    year_id = _school_year(session, school, board_id)
    scope = {"board_id": board_id.hex, "school_id": school_id.hex}
    ident = (board_id, school.brin, school.location_code)
    groups_t, students_t, staff_t = table_of(Group), table_of(Student), table_of(Staff)
    student_fields = tuple(f for f in STUDENT_FIELDS if f not in school.absent_fields)
    staff_fields = tuple(f for f in STAFF_FIELDS if f not in school.absent_fields)
    existing = repository.load_keyed(session, groups_t, GROUP_FIELDS, ("school_id", school_id))
    fields: tuple[str, ...] = GROUP_FIELDS
    extra: dict[str, object] = {"school_year_id": year_id}
    if year_id is None:  # keep the groups' school year when the source names none
        extra = {}
        fields = GROUP_FIELDS[:-1]
        existing = {k: (i, r, v[:-1]) for k, (i, r, v) in existing.items()}
    groups = sync_entities(
        session,
        EntitySpec(groups_t, EntityKind.GROUP, fields, scope, (*ident, "group"), extra=extra),
        school.groups,
        existing,
        changes,
    )
    existing = repository.load_keyed(session, students_t, student_fields, ("school_id", school_id))
    end = student_fields.index("enrolment_end") if "enrolment_end" in student_fields else None
    on_remove = student_removal(today, end)
    students = sync_entities(
        session,
        EntitySpec(
            students_t,
            EntityKind.STUDENT,
            student_fields,
            scope,
            (*ident, "student"),
            on_remove=on_remove,
        ),
        school.students,
        existing,
        changes,
    )
    existing = repository.load_keyed(session, staff_t, staff_fields, ("school_id", school_id))
    staff = sync_entities(
        session,
        EntitySpec(staff_t, EntityKind.STAFF, staff_fields, scope, (*ident, "staff")),
        school.staff,
        existing,
        changes,
    )
    student_links, staff_links, guardian_links = (
        school.student_links,
        school.staff_links,
        school.guardian_links,
    )
    sync_links(
        session,
        LinkSpec(
            table_of(StudentMembership),
            EntityKind.STUDENT_MEMBERSHIP,
            ("student_id", "group_id"),
            None,
        ),
        student_links,
        pairs=((link.student_key, link.group_key, None) for link in student_links.records),
        resolve=(students, groups),
        existing=repository.load_student_links(session, school_id),
        changes=changes,
        board_id=board_id,
    )
    sync_links(
        session,
        LinkSpec(
            table_of(StaffMembership), EntityKind.STAFF_MEMBERSHIP, ("staff_id", "group_id"), "role"
        ),
        staff_links,
        pairs=((link.staff_key, link.group_key, link.role) for link in staff_links.records),
        resolve=(staff, groups),
        existing=repository.load_staff_links(session, school_id),
        changes=changes,
        board_id=board_id,
    )
    sync_links(
        session,
        LinkSpec(
            table_of(Guardianship),
            EntityKind.GUARDIANSHIP,
            ("guardian_id", "student_id"),
            "relation",
        ),
        guardian_links,
        pairs=((g.guardian_key, g.student_key, g.relation) for g in guardian_links.records),
        resolve=(guardians, students),
        existing=repository.load_guardian_links(session, school_id),
        changes=changes,
        board_id=board_id,
    )
