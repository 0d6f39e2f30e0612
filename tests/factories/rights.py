"""A board for the rights tests: a child with a guardian, a namesake, and two connections."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from koppelvlak.roster.models import Guardian, Guardianship, Student
from tests.factories.providers import Setup, connected
from tests.factories.roster import StudentFactory

SESSION_KEY = b"s" * 32


@dataclass
class Family:
    """``child`` and ``namesake`` share a name; ``guardian`` is the child's parent only."""

    first: Setup
    second: Setup
    child: Student
    namesake: Student
    guardian: Guardian

    @property
    def board_id(self) -> uuid.UUID:
        return self.first.board.id


def family(session: Session) -> Family:
    first = connected(session)
    second = connected(session, board=first.board, school=first.school)
    board_id, school_id = first.board.id, first.school.id
    child: Student = StudentFactory(
        board_id=board_id,
        school_id=school_id,
        given_name="Sanne",
        family_name="Jansen",
        birth_date=date(2014, 5, 17),
        email="sanne.child@school.example",
    )
    namesake: Student = StudentFactory(
        board_id=board_id,
        school_id=school_id,
        given_name="Sanne",
        family_name="Jansen",
        birth_date=date(2013, 2, 3),
        email="other.sanne@school.example",
    )
    guardian = Guardian(
        board_id=board_id,
        source_key=f"G{uuid.uuid4().hex[:8]}",
        family_name="Jansen",
        given_name="Petra",
        email="petra@home.example",
    )
    session.add_all([child, namesake, guardian])
    session.flush()
    session.add(
        Guardianship(
            board_id=board_id, guardian_id=guardian.id, student_id=child.id, relation="parent"
        )
    )
    session.flush()
    return Family(first, second, child, namesake, guardian)
