"""Bring one board's guardians and one school's groups, people and links in step with a snapshot.

``service.apply_snapshot`` owns the import run and its report; this module owns what is synced
per school (which fields, which links, which removals) so the use case stays readable and the
field lists live in one place that tests can import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import utcnow
from koppelvlak.roster import repository, sync_state
from koppelvlak.roster.importers.snapshot import Mode, SchoolSnapshot, Snapshot
from koppelvlak.roster.models import (
    ChangeKind,
    EntityKind,
    Group,
    Guardian,
    Guardianship,
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


def sync_guardians(
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


def board_guardians(
    session: Session, snapshot: Snapshot, board_id: uuid.UUID, changes: Changes
) -> Callable[[], dict[str, str]]:
    """The board's live guardians (source key → id) after syncing the snapshot's guardians.

    A snapshot that says nothing about guardians (every UWLR answer) only needs them to check a
    school's guardianships, so they are loaded on first use: a school skipped as unchanged
    never loads the board's tens of thousands of guardians.
    """
    if snapshot.guardians.mode is not Mode.KEEP:
        synced = sync_guardians(session, snapshot, board_id, changes)
        return lambda: synced
    loaded: list[dict[str, str]] = []

    def load() -> dict[str, str]:
        if not loaded:
            loaded.append(sync_guardians(session, snapshot, board_id, changes))
        return loaded[0]

    return load


def _school_row(
    session: Session, school: SchoolSnapshot, board_id: uuid.UUID, changes: Changes
) -> tuple[uuid.UUID, bool]:
    """The school's id, and whether this run adds the school (so everything in it is new)."""
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
        return school_id, True
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
    return found.id, False


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


def sync_school(
    session: Session,
    school: SchoolSnapshot,
    *,
    board_id: uuid.UUID,
    guardians: Callable[[], dict[str, str]],
    changes: Changes,
    today: date,
) -> uuid.UUID:
    """Sync one school; return its id. An unchanged school is skipped (``sync_state``).

    In a school this run adds, every row is new: the school's one ``added`` change row says
    so, and its groups, people and links get no change rows of their own (ADR 0150).
    """
    school_id, added = _school_row(session, school, board_id, changes)
    year_id = _school_year(session, school, board_id)
    run_id = uuid.UUID(hex=changes.run_id)
    if school.fingerprint is not None:
        before = sync_state.current(session, school_id, board_id, school.fingerprint)
        kept = sync_state.stored(session, school_id)
        if kept is not None and kept.matches(school.fingerprint, before):
            return school_id  # the kept run read this very source: its warnings stand
    _sync_rows(
        session,
        school,
        school_id=school_id,
        year_id=year_id,
        board_id=board_id,
        guardians=guardians,
        changes=changes,
        today=today,
        log_added=not added,
    )
    if school.fingerprint is not None:
        after = sync_state.current(session, school_id, board_id, school.fingerprint)
        sync_state.store(session, school_id, run_id, school.fingerprint, after)
    return school_id


def _sync_rows(
    session: Session,
    school: SchoolSnapshot,
    *,
    school_id: uuid.UUID,
    year_id: uuid.UUID | None,
    board_id: uuid.UUID,
    guardians: Callable[[], dict[str, str]],
    changes: Changes,
    today: date,
    log_added: bool,
) -> None:
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
        EntitySpec(
            groups_t,
            EntityKind.GROUP,
            fields,
            scope,
            (*ident, "group"),
            extra=extra,
            log_added=log_added,
        ),
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
            log_added=log_added,
        ),
        school.students,
        existing,
        changes,
    )
    existing = repository.load_keyed(session, staff_t, staff_fields, ("school_id", school_id))
    staff = sync_entities(
        session,
        EntitySpec(
            staff_t,
            EntityKind.STAFF,
            staff_fields,
            scope,
            (*ident, "staff"),
            log_added=log_added,
        ),
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
            log_added,
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
            table_of(StaffMembership),
            EntityKind.STAFF_MEMBERSHIP,
            ("staff_id", "group_id"),
            "role",
            log_added,
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
            log_added,
        ),
        guardian_links,
        pairs=((g.guardian_key, g.student_key, g.relation) for g in guardian_links.records),
        resolve=(guardians(), students),
        existing=repository.load_guardian_links(session, school_id),
        changes=changes,
        board_id=board_id,
    )
