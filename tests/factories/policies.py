"""Policy set-ups: a family (a child and a guardian), a staff member, a published policy.

Policies are made through ``policies.service`` so tests meet the same checks an admin meets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from koppelvlak.policies import service
from koppelvlak.policies.models import Audience
from koppelvlak.policies.schemas import PolicyView
from koppelvlak.roster.models import Guardian, Guardianship, School, Staff, Student
from tests.factories.providers import T0
from tests.factories.roster import StudentFactory

CHILD_BORN = date(2014, 5, 17)  # 11 on T0
TEEN_BORN = date(2008, 5, 17)  # 17 on T0


@dataclass
class Family:
    student: Student
    guardian: Guardian


def family(
    session: Session, school: School, born: date | None = CHILD_BORN, name: str = "Jansen"
) -> Family:
    """A student of the school and one guardian with a current guardianship."""
    student: Student = StudentFactory(
        board_id=school.board_id, school_id=school.id, birth_date=born, family_name=name
    )
    guardian = Guardian(
        board_id=school.board_id,
        source_key=f"G-{uuid.uuid4().hex[:8]}",
        given_name="Ouder",
        family_name=name,
    )
    session.add_all([student, guardian])
    session.flush()
    session.add(
        Guardianship(
            board_id=school.board_id,
            guardian_id=guardian.id,
            student_id=student.id,
            relation="parent",
        )
    )
    session.flush()
    return Family(student, guardian)


def staff_member(session: Session, school: School) -> Staff:
    staff = Staff(
        board_id=school.board_id,
        school_id=school.id,
        source_key=f"T-{uuid.uuid4().hex[:8]}",
        given_name="Ans",
        family_name="de Vries",
    )
    session.add(staff)
    session.flush()
    return staff


def published(
    session: Session,
    board_id: uuid.UUID,
    *,
    audience: Audience = Audience.STUDENTS,
    required: bool = False,
    connection_id: uuid.UUID | None = None,
    code: str | None = None,
) -> PolicyView:
    """A policy whose first version is active."""
    policy = service.create_policy(
        session,
        board_id,
        code=code or f"p-{uuid.uuid4().hex[:8]}",
        name="Privacyverklaring",
        audience=audience,
        required=required,
        text_nl="Wij gaan zorgvuldig om met je gegevens.",
        text_en="We handle your data with care.",
        actor="dpo:test",
        at=T0,
        connection_id=connection_id,
    )
    return service.publish(session, board_id, policy.policy_id, 1, actor="dpo:test", at=T0)
