"""Roster queries for the sync: existing rows of one school loaded in bulk into dicts.

One query per table and school (never one per person), so a 50,000-student re-sync reads the
school in a handful of round trips.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.orm import Session

from koppelvlak.roster.models import (
    Board,
    Group,
    Guardian,
    Guardianship,
    School,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

# source key → (id, removed_at, values in the order of the compared fields)
Existing = dict[str, tuple[uuid.UUID, datetime | None, tuple[Any, ...]]]
# (left id, right id) → (id, removed_at, values)
ExistingLinks = dict[
    tuple[uuid.UUID, uuid.UUID], tuple[uuid.UUID, datetime | None, tuple[Any, ...]]
]


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed as a Table (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def load_keyed(
    session: Session, table: Table, fields: Sequence[str], scope: ColumnElement[bool]
) -> Existing:
    columns = [table.c[name] for name in fields]
    rows = session.execute(
        select(table.c.id, table.c.source_key, table.c.removed_at, *columns).where(scope)
    )
    return {row[1]: (row[0], row[2], tuple(row[3:])) for row in rows}


def load_student_links(session: Session, school_id: uuid.UUID) -> ExistingLinks:
    table = table_of(StudentMembership)
    rows = session.execute(
        select(table.c.id, table.c.student_id, table.c.group_id, table.c.removed_at)
        .join(Group, Group.id == table.c.group_id)
        .where(Group.school_id == school_id)
    )
    return {(row[1], row[2]): (row[0], row[3], ()) for row in rows}


def load_staff_links(session: Session, school_id: uuid.UUID) -> ExistingLinks:
    table = table_of(StaffMembership)
    rows = session.execute(
        select(table.c.id, table.c.staff_id, table.c.group_id, table.c.removed_at, table.c.role)
        .join(Group, Group.id == table.c.group_id)
        .where(Group.school_id == school_id)
    )
    return {(row[1], row[2]): (row[0], row[3], (row[4],)) for row in rows}


def load_guardian_links(session: Session, school_id: uuid.UUID) -> ExistingLinks:
    table = table_of(Guardianship)
    rows = session.execute(
        select(
            table.c.id,
            table.c.guardian_id,
            table.c.student_id,
            table.c.removed_at,
            table.c.relation,
        )
        .join(Student, Student.id == table.c.student_id)
        .where(Student.school_id == school_id)
    )
    return {(row[1], row[2]): (row[0], row[3], (row[4],)) for row in rows}


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
