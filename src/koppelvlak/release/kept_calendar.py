"""Who the calendar changes between two moments: the scheduled refresh's share of the work.

Every change to the roster, a connection or an exception is settled in its own transaction
(``kit.changes``), so between two scheduled refreshes only time itself alters a release: a stamp
that falls in the interval (a removal, a licence's start or end, an objection recorded or lifted,
a consent decided), a sixteenth birthday under a consent-based purpose, a connection's end date,
the school year's name, a group's removal. ``due`` names the people such a stamp concerns, or
``None`` when the change is the whole connection's; the scheduled refresh then resolves only
them. See ADR 0146.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from koppelvlak.connections.models import Connection, Licence, Objection, ParentalConsent
from koppelvlak.connections.states import state_at
from koppelvlak.kit.clock import age_on, as_utc
from koppelvlak.release import repository
from koppelvlak.release.facts import ConnectionFacts
from koppelvlak.roster.models import Group, Staff, StaffMembership, Student, StudentMembership


def _within(
    column: InstrumentedAttribute[Any], since: datetime, at: datetime
) -> ColumnElement[bool]:
    return and_(column > since, column <= at)


def _year(session: Session, board_id: uuid.UUID, moment: datetime) -> str:
    """The school year's name on that day, as ``release.service`` gives it to the release."""
    name = repository.school_year_name(session, board_id, moment.date())
    if name is not None:
        return name
    start = moment.year if moment.month >= 8 else moment.year - 1
    return f"{start}-{start + 1}"


def _whole(
    session: Session, connection: Connection, facts: ConnectionFacts, since: datetime, at: datetime
) -> bool:
    """A boundary of the connection itself: its state, the school year, a group's removal."""
    if state_at(connection.state, connection.ends_at, since).value != facts.state:
        return True
    if since.date() != at.date() and _year(session, facts.board_id, since) != _year(
        session, facts.board_id, at
    ):
        return True
    removed_group = session.scalar(
        select(Group.id)
        .where(
            Group.board_id == facts.board_id,
            Group.school_id == connection.school_id,
            _within(Group.removed_at, since, at),
        )
        .limit(1)
    )
    return removed_group is not None


def _birthdays(
    session: Session, connection: Connection, facts: ConnectionFacts, since: date, at: date
) -> set[uuid.UUID]:
    """Students who reach the age of digital consent in (since, at]."""
    age = facts.digital_consent_age
    earliest = date(since.year - age - 1, 1, 1)
    latest = date(at.year - age, 12, 31)
    rows = session.execute(
        select(Student.id, Student.birth_date).where(
            Student.board_id == facts.board_id,
            Student.school_id == connection.school_id,
            Student.birth_date >= earliest,
            Student.birth_date <= latest,
        )
    )
    return {
        student_id
        for student_id, born in rows
        if born is not None and age_on(born, since) < age <= age_on(born, at)
    }


def due(
    session: Session,
    connection: Connection,
    facts: ConnectionFacts,
    since: datetime,
    at: datetime,
) -> frozenset[uuid.UUID] | None:
    """The people whose release the calendar may alter in (since, at]; None: the whole one."""
    since, at = as_utc(since), as_utc(at)
    if _whole(session, connection, facts, since, at):
        return None
    board, school = facts.board_id, connection.school_id
    queries = [
        select(Student.id).where(
            Student.board_id == board,
            Student.school_id == school,
            _within(Student.removed_at, since, at),
        ),
        select(Staff.id).where(
            Staff.board_id == board, Staff.school_id == school, _within(Staff.removed_at, since, at)
        ),
        select(StudentMembership.student_id).where(
            StudentMembership.board_id == board, _within(StudentMembership.removed_at, since, at)
        ),
        select(StaffMembership.staff_id).where(
            StaffMembership.board_id == board, _within(StaffMembership.removed_at, since, at)
        ),
        select(Licence.person_id).where(
            Licence.connection_id == connection.id,
            or_(_within(Licence.created_at, since, at), _within(Licence.removed_at, since, at)),
        ),
        select(Objection.person_id).where(
            Objection.board_id == board,
            Objection.provider_id == connection.provider_id,
            or_(_within(Objection.recorded_at, since, at), _within(Objection.lifted_at, since, at)),
        ),
        select(ParentalConsent.student_id).where(
            ParentalConsent.board_id == board,
            ParentalConsent.provider_id == connection.provider_id,
            _within(ParentalConsent.decided_at, since, at),
        ),
    ]
    people: set[uuid.UUID] = set()
    for query in queries:
        people.update(session.scalars(query))
    if facts.consent_based and since.date() != at.date():
        people |= _birthdays(session, connection, facts, since.date(), at.date())
    return frozenset(people)
