"""Roster queries for the sync: existing rows of one school loaded in bulk into dicts.

One query per table and school (never one per person), so a 50,000-student re-sync reads the
school in a handful of round trips.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, null, select
from sqlalchemy.orm import Session

from koppelvlak.roster.bulk import Writer
from koppelvlak.roster.importers.oneroster_stored import Stored, StoredPerson, StoredSchool
from koppelvlak.roster.models import (
    Board,
    Group,
    Guardian,
    School,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

# Ids in the sync are 32-digit hex strings and values are raw (see bulk.raw): comparing and
# hashing strings is several times cheaper than UUID and date objects for 100,000 rows.
RowId = str
# source key → (id, removed_at, values in the order of the compared fields)
Existing = dict[str, tuple[RowId, object, tuple[Any, ...]]]
# (left id, right id) → (id, removed_at, values)
ExistingLinks = dict[tuple[RowId, RowId], tuple[RowId, object, tuple[Any, ...]]]


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed as a Table (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def load_keyed(
    session: Session, table: Table, fields: Sequence[str], scope: tuple[str, object]
) -> Existing:
    """Rows of ``table`` where the column ``scope[0]`` equals ``scope[1]``, by source key."""
    columns = "".join(f", {name}" for name in fields)
    rows = Writer(session).select(
        f"SELECT id, source_key, removed_at{columns} FROM {table.name} WHERE {scope[0]} = {{}}",  # noqa: S608  (names from our metadata)
        scope[1],
    )
    return {row[1]: (row[0], row[2], row[3:]) for row in rows}


def _load_links(
    session: Session, table: str, *, left: str, right: str, extra: str, join: str, school_id: object
) -> ExistingLinks:
    join_column = "group_id" if join == "roster_group" else "student_id"
    rows = Writer(session).select(
        f"SELECT m.id, m.{left}, m.{right}, m.removed_at{extra} FROM {table} m "  # noqa: S608  (names from our metadata)
        f"JOIN {join} o ON o.id = m.{join_column} WHERE o.school_id = {{}}",
        school_id,
    )
    return {(row[1], row[2]): (row[0], row[3], row[4:]) for row in rows}


def load_student_links(session: Session, school_id: object) -> ExistingLinks:
    return _load_links(
        session,
        "student_membership",
        left="student_id",
        right="group_id",
        extra="",
        join="roster_group",
        school_id=school_id,
    )


def load_staff_links(session: Session, school_id: object) -> ExistingLinks:
    return _load_links(
        session,
        "staff_membership",
        left="staff_id",
        right="group_id",
        extra=", m.role",
        join="roster_group",
        school_id=school_id,
    )


def load_guardian_links(session: Session, school_id: object) -> ExistingLinks:
    return _load_links(
        session,
        "guardianship",
        left="guardian_id",
        right="student_id",
        extra=", m.relation",
        join="student",
        school_id=school_id,
    )


def find_board(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == code))


def boards_with_school(session: Session, brin: str, location_code: str) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(School.board_id).where(
                School.brin == brin, School.location_code == location_code
            )
        )
    )


def all_boards(session: Session, limit: int = 2) -> list[uuid.UUID]:
    return list(session.scalars(select(Board.id).limit(limit)))


def live_totals(session: Session, board_id: uuid.UUID) -> dict[str, int]:
    """Live (not removed) records of a board per kind, as the import summary reports them."""

    def count(model: Any) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.board_id == board_id, model.removed_at.is_(None))
            )
            or 0
        )

    return {
        "school": count(School),
        "group": count(Group),
        "student": count(Student),
        "staff": count(Staff),
        "guardian": count(Guardian),
        "membership": count(StudentMembership) + count(StaffMembership),
    }


def staff_of_groups(session: Session, groups: frozenset[uuid.UUID]) -> set[uuid.UUID]:
    """Staff with a membership (current or ended) of any of these groups."""
    found: set[uuid.UUID] = set()
    ids = sorted(groups, key=str)
    for start in range(0, len(ids), 1_000):
        chunk = ids[start : start + 1_000]
        found.update(
            session.scalars(
                select(StaffMembership.staff_id).where(StaffMembership.group_id.in_(chunk))
            )
        )
    return found


def stored_references(session: Session, board_code: str | None) -> Stored:
    """The live schools, groups and people a OneRoster delta may refer to without carrying.

    The board is ``board_code``, else the only board there is; with several boards and no code
    nothing is stored (the reader then asks for ``--board``). A key that two schools share is
    left out of ``groups`` so it can never resolve to the wrong school.
    """
    board_id = find_board(session, board_code) if board_code else None
    if board_id is None and board_code is None:
        boards = all_boards(session)
        board_id = boards[0] if len(boards) == 1 else None
    if board_id is None:
        return Stored()
    code = session.scalar(select(Board.code).where(Board.id == board_id))
    live = School.board_id == board_id, School.removed_at.is_(None)
    rows = session.execute(
        select(School.id, School.source_key, School.brin, School.location_code, School.name)
        .add_columns(School.sector)
        .where(*live, School.source_key.is_not(None))
    ).all()
    schools = {
        row.source_key: StoredSchool(
            row.source_key, row.brin, row.location_code, row.name, row.sector.value
        )
        for row in rows
    }
    key_of = {row.id: row.source_key for row in rows}
    groups: dict[str, str] = {}
    shared: set[str] = set()
    for group, school_id in session.execute(
        select(Group.source_key, Group.school_id).where(
            Group.board_id == board_id, Group.removed_at.is_(None)
        )
    ):
        if school_id not in key_of:
            continue
        if group in groups:
            shared.add(group)
        groups[group] = key_of[school_id]
    people: dict[str, list[StoredPerson]] = {}
    students = select(Student.source_key, Student.school_id, null()).where(
        Student.board_id == board_id, Student.removed_at.is_(None)
    )
    staff = select(Staff.source_key, Staff.school_id, Staff.role_description).where(
        Staff.board_id == board_id, Staff.removed_at.is_(None)
    )
    for kind, query in (("student", students), ("staff", staff)):
        for key, school_id, job in session.execute(query):
            if school_id in key_of:
                people.setdefault(key, []).append(StoredPerson(key_of[school_id], kind, job))
    guardians = session.scalars(
        select(Guardian.source_key).where(
            Guardian.board_id == board_id, Guardian.removed_at.is_(None)
        )
    )
    return Stored(
        board=code,
        guardians=frozenset(guardians),
        schools=schools,
        groups={key: school for key, school in groups.items() if key not in shared},
        people={key: tuple(found) for key, found in people.items()},
    )
