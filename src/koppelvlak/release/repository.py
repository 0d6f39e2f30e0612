"""The release's queries: a school's people, memberships and exceptions in a few set-based reads.

Every query is bounded by the connection's board and school. Rows come back as plain tuples with
their removal and event stamps, so the service can build the facts at two moments (``at`` and
``since``) from one read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session

from koppelvlak.connections.models import Licence, Objection, ParentalConsent
from koppelvlak.roster.models import (
    Group,
    School,
    SchoolYear,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

STUDENT_COLUMNS = {
    "student.given_name": Student.given_name,
    "student.family_name": Student.family_name,
    "student.name_prefix": Student.name_prefix,
    "student.first_names": Student.first_names,
    "student.initials": Student.initials,
    "student.birth_date": Student.birth_date,
    "student.sex": Student.sex,
    "student.year_group": Student.year_group,
    "student.eckid": Student.eckid,
    "student.email": Student.email,
    "student.username": Student.username,
    "student.source_key": Student.source_key,
}
STAFF_COLUMNS = {
    "staff.given_name": Staff.given_name,
    "staff.family_name": Staff.family_name,
    "staff.name_prefix": Staff.name_prefix,
    "staff.initials": Staff.initials,
    "staff.email": Staff.email,
    "staff.eckid": Staff.eckid,
    "staff.username": Staff.username,
    "staff.role": Staff.role,
}
GROUP_COLUMNS = {
    "group.name": Group.name,
    "group.description": Group.description,
    "group.year_group": Group.year_group,
    "group.kind": Group.kind,
}


def raw(column: Any) -> Any:
    """A column as the driver returns it, without SQLAlchemy's conversion.

    For ids PostgreSQL gives ``uuid.UUID`` objects and SQLite the 32-hex text; for timestamps
    a ``datetime`` or SQLite's text. Building tens of thousands of UUIDs and parsing every
    timestamp was a third of a release's time, so these stay raw until output
    (``release.keys``).
    """
    return type_coerce(column, String())


def _rows(session: Session, query: Any) -> Sequence[tuple[Any, ...]]:
    """The DBAPI cursor's own tuples, without building a SQLAlchemy ``Row`` per row.

    Only for queries whose every column needs no result processing (``raw`` columns and plain
    text): on 50,000 people the ``Row`` objects cost more than the database's own work.
    """
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _alive(column: Any, cutoff: datetime) -> Any:
    return or_(column.is_(None), column > cutoff)


def school(session: Session, board_id: uuid.UUID, school_id: uuid.UUID) -> School | None:
    return session.scalar(select(School).where(School.board_id == board_id, School.id == school_id))


def school_year_name(session: Session, board_id: uuid.UUID, day: Any) -> str | None:
    return session.scalar(
        select(SchoolYear.name).where(
            SchoolYear.board_id == board_id,
            SchoolYear.starts_on <= day,
            SchoolYear.ends_on >= day,
        )
    )


def students(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID | None,
    cutoff: datetime,
    attribute_ids: frozenset[str],
    *,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Sequence[tuple[Any, ...]]:
    """Students not removed before ``cutoff``: fixed columns, then the released value columns."""
    value_columns = [raw(STUDENT_COLUMNS[a]) for a in sorted(attribute_ids) if a in STUDENT_COLUMNS]
    query = select(
        raw(Student.id),
        raw(Student.school_id),
        raw(Student.removed_at),
        raw(Student.updated_at),
        Student.year_group,
        raw(Student.birth_date),
        raw(Student.enrolment_start),
        raw(Student.enrolment_end),
        *value_columns,
    ).where(Student.board_id == board_id, _alive(Student.removed_at, cutoff))
    if school_id is not None:
        query = query.where(Student.school_id == school_id)
    if person_ids is not None:
        query = query.where(Student.id.in_(person_ids))
    return _rows(session, query)


def staff(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID | None,
    cutoff: datetime,
    attribute_ids: frozenset[str],
    *,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Sequence[tuple[Any, ...]]:
    value_columns = [raw(STAFF_COLUMNS[a]) for a in sorted(attribute_ids) if a in STAFF_COLUMNS]
    query = select(
        raw(Staff.id),
        raw(Staff.school_id),
        raw(Staff.removed_at),
        raw(Staff.updated_at),
        Staff.source_key,  # one person across the board's schools (see release.pseudonyms)
        *value_columns,
    ).where(Staff.board_id == board_id, _alive(Staff.removed_at, cutoff))
    if school_id is not None:
        query = query.where(Staff.school_id == school_id)
    if person_ids is not None:
        query = query.where(Staff.id.in_(person_ids))
    return _rows(session, query)


def groups(
    session: Session, board_id: uuid.UUID, school_id: uuid.UUID, cutoff: datetime
) -> Sequence[tuple[Any, ...]]:
    """Groups of the school: id, kind, year group, removed, updated, then every value column."""
    return (
        session.connection()
        .execute(
            select(
                raw(Group.id),
                Group.kind,
                Group.year_group,
                Group.removed_at,
                Group.updated_at,
                *GROUP_COLUMNS.values(),
            ).where(
                Group.board_id == board_id,
                Group.school_id == school_id,
                _alive(Group.removed_at, cutoff),
            )
        )
        .all()
    )


def student_memberships(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID,
    cutoff: datetime,
    *,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Sequence[tuple[Any, ...]]:
    """(student id, group id, removed at) for memberships in the school's groups."""
    query = (
        select(
            raw(StudentMembership.student_id),
            raw(StudentMembership.group_id),
            raw(StudentMembership.removed_at),
        )
        .join(Group, Group.id == StudentMembership.group_id)
        .where(
            StudentMembership.board_id == board_id,
            Group.school_id == school_id,
            _alive(StudentMembership.removed_at, cutoff),
        )
    )
    if person_ids is not None:
        query = query.where(StudentMembership.student_id.in_(person_ids))
    return _rows(session, query)


def staff_memberships(
    session: Session,
    board_id: uuid.UUID,
    school_id: uuid.UUID,
    cutoff: datetime,
    *,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Sequence[tuple[Any, ...]]:
    """(staff id, group id, removed at, role) for memberships in the school's groups."""
    query = (
        select(
            raw(StaffMembership.staff_id),
            raw(StaffMembership.group_id),
            raw(StaffMembership.removed_at),
            StaffMembership.role,
        )
        .join(Group, Group.id == StaffMembership.group_id)
        .where(
            StaffMembership.board_id == board_id,
            Group.school_id == school_id,
            _alive(StaffMembership.removed_at, cutoff),
        )
    )
    if person_ids is not None:
        query = query.where(StaffMembership.staff_id.in_(person_ids))
    return _rows(session, query)


def licences(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID, cutoff: datetime
) -> Sequence[tuple[Any, ...]]:
    """(person id, created at, removed at) of the connection's licences."""
    return (
        session.connection()
        .execute(
            select(raw(Licence.person_id), Licence.created_at, Licence.removed_at).where(
                Licence.board_id == board_id,
                Licence.connection_id == connection_id,
                _alive(Licence.removed_at, cutoff),
            )
        )
        .all()
    )


def objections(
    session: Session, board_id: uuid.UUID, provider_id: uuid.UUID, cutoff: datetime
) -> Sequence[tuple[Any, ...]]:
    """(person id, recorded at, lifted at) of objections to the provider."""
    return (
        session.connection()
        .execute(
            select(raw(Objection.person_id), Objection.recorded_at, Objection.lifted_at).where(
                Objection.board_id == board_id,
                Objection.provider_id == provider_id,
                _alive(Objection.lifted_at, cutoff),
            )
        )
        .all()
    )


def consents(
    session: Session, board_id: uuid.UUID, provider_id: uuid.UUID
) -> Sequence[tuple[Any, ...]]:
    """(student id, state, decided at) of parental-consent events, oldest first."""
    return (
        session.connection()
        .execute(
            select(
                raw(ParentalConsent.student_id), ParentalConsent.state, ParentalConsent.decided_at
            )
            .where(ParentalConsent.board_id == board_id, ParentalConsent.provider_id == provider_id)
            .order_by(ParentalConsent.decided_at, ParentalConsent.id)
        )
        .all()
    )
