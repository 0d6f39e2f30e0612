"""What a scope would share before the admin saves it: the live count beside the scope form.

The same outer-scope rule as ``connections.scope`` (current people of the connection's school;
year groups by the student's year group and by the groups of those years for staff; groups by
membership), narrowed to licensed people when asked. It counts people in scope, not the final
release: objections and missing consent still withhold some, which the explain page shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.connections.models import Licence, PersonKindColumn, ScopeKind
from koppelvlak.roster.models import Group, Staff, StaffMembership, Student, StudentMembership


@dataclass(frozen=True)
class GroupChoice:
    group_id: uuid.UUID
    name: str
    year_group: str | None


@dataclass(frozen=True)
class ScopeChoices:
    groups: tuple[GroupChoice, ...]
    year_groups: tuple[str, ...]


def choices(session: Session, board_id: uuid.UUID, connection_id: uuid.UUID) -> ScopeChoices:
    connection = connections.get(session, board_id, connection_id)
    rows = session.execute(
        select(Group.id, Group.name, Group.year_group)
        .where(
            Group.board_id == board_id,
            Group.school_id == connection.school_id,
            Group.removed_at.is_(None),
        )
        .order_by(Group.name)
    ).all()
    years = session.scalars(
        select(Student.year_group)
        .where(
            Student.board_id == board_id,
            Student.school_id == connection.school_id,
            Student.removed_at.is_(None),
            Student.year_group.is_not(None),
        )
        .distinct()
    )
    return ScopeChoices(
        tuple(GroupChoice(g, n, y) for g, n, y in rows),
        tuple(sorted({y for y in years if y}, key=lambda y: (len(y), y))),
    )


def count(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    kind: ScopeKind,
    group_ids: frozenset[uuid.UUID],
    year_groups: frozenset[str],
    licensed_only: bool,
) -> tuple[int, int]:
    """(students, staff) the scope would include."""
    connection = connections.get(session, board_id, connection_id)
    school = connection.school_id
    groups = select(Group.id).where(
        Group.board_id == board_id, Group.school_id == school, Group.removed_at.is_(None)
    )
    if kind is ScopeKind.GROUPS:
        groups = groups.where(Group.id.in_(group_ids))
    elif kind is ScopeKind.YEAR_GROUPS:
        groups = groups.where(Group.year_group.in_(year_groups))
    students = select(Student.id).where(
        Student.board_id == board_id, Student.school_id == school, Student.removed_at.is_(None)
    )
    staff = select(Staff.id).where(
        Staff.board_id == board_id, Staff.school_id == school, Staff.removed_at.is_(None)
    )
    if kind is ScopeKind.YEAR_GROUPS:
        students = students.where(Student.year_group.in_(year_groups))
    if kind is not ScopeKind.WHOLE_SCHOOL:
        if kind is ScopeKind.GROUPS:
            students = students.where(Student.id.in_(_members(StudentMembership, groups)))
        staff = staff.where(Staff.id.in_(_members(StaffMembership, groups)))
    if licensed_only:
        students = students.where(
            Student.id.in_(_licensed(connection.id, PersonKindColumn.STUDENT))
        )
        staff = staff.where(Staff.id.in_(_licensed(connection.id, PersonKindColumn.STAFF)))
    return _size(session, students), _size(session, staff)


def _members(
    membership: type[StudentMembership] | type[StaffMembership], groups: Select[Any]
) -> Select[Any]:
    person = (
        StudentMembership.student_id
        if membership is StudentMembership
        else StaffMembership.staff_id
    )
    return select(person).where(membership.removed_at.is_(None), membership.group_id.in_(groups))


def _licensed(connection_id: uuid.UUID, kind: PersonKindColumn) -> Select[Any]:
    return select(Licence.person_id).where(
        Licence.connection_id == connection_id,
        Licence.person_kind == kind,
        Licence.removed_at.is_(None),
    )


def _size(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@dataclass(frozen=True)
class CurrentScope:
    kind: ScopeKind
    group_ids: frozenset[uuid.UUID]
    year_groups: frozenset[str]
    licensed_only: bool


def current(session: Session, board_id: uuid.UUID, connection_id: uuid.UUID) -> CurrentScope:
    from koppelvlak.connections import repository

    connection = connections.get(session, board_id, connection_id)
    return CurrentScope(
        connection.scope_kind,
        repository.scope_groups(session, connection.id),
        repository.scope_year_groups(session, connection.id),
        connection.licensed_only,
    )
