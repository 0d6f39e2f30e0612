"""The cast of the erasure and retention tests: one board, two same-named students, a guardian,
a teacher, two providers (one that receives students, one that receives only staff), a result,
an objection, an import message quoting a key and a disclosure in the ledger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from koppelvlak.accounts.models import ConsentRequest
from koppelvlak.audit import service as audit
from koppelvlak.connections import exceptions
from koppelvlak.connections.models import ConsentState
from koppelvlak.policies import acceptance
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import kept
from koppelvlak.release.models import KeptObject
from koppelvlak.results.models import ResultBatch, ResultScore
from koppelvlak.rights import requests
from koppelvlak.rights.models import RequestKind
from koppelvlak.roster.models import (
    Board,
    ChangeKind,
    EntityKind,
    Guardian,
    Guardianship,
    ImportOutcome,
    ImportRun,
    RosterChange,
    School,
    Staff,
    Student,
    StudentMembership,
)
from tests.factories import policies
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, Setup, accredited_provider, board_with_school, connected
from tests.factories.roster import GroupFactory

KEY = b"erasure-integration-pseudonym-key-0123"
PUPILS = DatasetSpec(
    attributes={
        "student.given_name": True,
        "student.family_name": True,
        "student.birth_date": True,
        "student.eckid": False,
        "student.groups": True,
        "group.name": True,
    },
    purpose_code="final_test",
    entity_types=frozenset({"students", "groups"}),
)
TEACHERS = DatasetSpec(
    attributes={"staff.given_name": True},
    purpose_code="learning_materials",
    entity_types=frozenset({"staff"}),
)


@dataclass
class Cast:
    board: Board
    school: School
    fenna: Student  # the one to erase
    namesake: Student  # same name, another person
    guardian: Guardian
    teacher: Staff
    pupils: Setup  # receives students
    teachers: Setup  # receives only staff
    import_run: ImportRun


def _student(session: Session, board: Board, school: School, **fields: object) -> Student:
    student = Student(
        board_id=board.id,
        school_id=school.id,
        given_name="Fenna",
        family_name="Wijnbergen-Oudshoorn",
        year_group="8",
        **fields,
    )
    session.add(student)
    return student


def build(session: Session) -> Cast:
    board, school = board_with_school(session)
    group = GroupFactory(board_id=board.id, school_id=school.id, source_key="8B")
    session.add(group)
    fenna = _student(
        session,
        board,
        school,
        source_key="LL-771204",
        eckid="https://ketenid.nl/201703/fenna-eck-93a1",
        birth_date=date(2014, 2, 27),
        email="fenna.w.o@leerling.example.nl",
        username="fwo771204",
    )
    namesake = _student(
        session,
        board,
        school,
        source_key="LL-552310",
        eckid="https://ketenid.nl/201703/other-eck-11c7",
        birth_date=date(2014, 9, 3),
        email="f.wijnbergen@leerling.example.nl",
        username="fwo552310",
    )
    guardian = Guardian(
        board_id=board.id,
        source_key="OU-40417",
        family_name="Oudshoorn-Klaassens",
        given_name="Marieke",
        email="marieke.ok@ouders.example.nl",
        phone="+31 6 4417 2093",
    )
    teacher = Staff(board_id=board.id, school_id=school.id, source_key="T-88", given_name="Joost")
    session.add_all([guardian, teacher])
    session.flush()
    session.add_all(
        [
            StudentMembership(board_id=board.id, student_id=fenna.id, group_id=group.id),
            StudentMembership(board_id=board.id, student_id=namesake.id, group_id=group.id),
            Guardianship(
                board_id=board.id, guardian_id=guardian.id, student_id=fenna.id, relation="parent"
            ),
        ]
    )
    pupils = connected(session, PUPILS, board=board, school=school)
    teachers = connected(session, TEACHERS, board=board, school=school)
    run = ImportRun(
        board_id=board.id,
        started_at=T0,
        source_kind="uwlr",
        source="export.xml",
        outcome=ImportOutcome.OK,
        warnings=["leerling LL-771204: e-mailadres ontbreekt", "leerling LL-552310: geen groep"],
    )
    session.add(run)
    session.flush()
    session.add_all(
        RosterChange(
            board_id=board.id,
            import_run_id=run.id,
            entity_kind=EntityKind.STUDENT,
            entity_id=student.id,
            change_kind=ChangeKind.ADDED,
            at=T0,
        )
        for student in (fenna, namesake)
    )
    exceptions.record_objection(
        session, board.id, teachers.provider.id, fenna.id, actor="admin:test", at=T0
    )
    exceptions.record_consent(
        session,
        board.id,
        pupils.provider.id,
        fenna.id,
        ConsentState.GIVEN,
        decided_by=exceptions.guardian_name(session, board.id, guardian.id),
        at=T0,
    )
    _result(session, pupils, fenna)
    _result(session, pupils, namesake)
    for people in ({fenna.id, namesake.id}, {fenna.id}, {namesake.id}):
        audit.record(
            session,
            DisclosureFactory(
                board_id=board.id,
                provider_id=pupils.provider.id,
                connection_id=pupils.connection.id,
                person_ids=frozenset(people),
            ),
            at=T0 + timedelta(minutes=1),
        )
    statement = policies.published(session, board.id)
    acceptance.accept(  # the guardian accepts for the child under 16: both ids are on the row
        session,
        board.id,
        statement.policy_id,
        fenna.id,
        actor="admin:test",
        at=T0,
        guardian_id=guardian.id,
    )
    session.add(  # the guardian was mailed for the child's consent under the pupils' app
        ConsentRequest(
            board_id=board.id,
            connection_id=pupils.connection.id,
            student_id=fenna.id,
            guardian_id=guardian.id,
            sent_by="admin:test",
            sent_at=T0,
            expires_at=T0 + timedelta(days=30),
        )
    )
    requests.file_request(  # an access request names her by id and the guardian's address
        session,
        board.id,
        requests.Filing(
            RequestKind.ACCESS,
            fenna.id,
            actor="dpo:test",
            contact_email=guardian.email,
            details="Graag alles over LL-771204",
        ),
        at=T0,
    )
    kept.settle(session, KEY)
    return Cast(board, school, fenna, namesake, guardian, teacher, pupils, teachers, run)


def _result(session: Session, setup: Setup, student: Student) -> ResultScore:
    batch = ResultBatch(
        board_id=setup.board.id,
        connection_id=setup.connection.id,
        provider_id=setup.provider.id,
        brin=setup.school.brin,
        location_code=setup.school.location_code,
        school_year="2025-2026",
        created_at_source=T0,
        xsd_version="2.2",
        received_at=T0,
    )
    session.add(batch)
    session.flush()
    score = ResultScore(
        board_id=setup.board.id,
        batch_id=batch.id,
        connection_id=setup.connection.id,
        student_id=student.id,
        provider_student_key=f"prov-{student.source_key}",
        eckid=student.eckid,
        result_key=f"r-{uuid.uuid4().hex[:8]}",
        taken_on=date(2026, 4, 15),
        test_code="DT-2026",
        score=537,
        xml=f"<resultaat><leerling>{student.source_key}</leerling><score>537</score></resultaat>",
    )
    session.add(score)
    session.flush()
    return score


def pseudonyms(session: Session, person_id: uuid.UUID) -> set[str]:
    """The person's sourcedIds in every kept release (their per-provider pseudonyms)."""
    from sqlalchemy import select

    return set(
        session.scalars(
            select(KeptObject.key).where(
                KeptObject.person_id == person_id, KeptObject.collection == "users"
            )
        ).all()
    )


__all__ = ["Cast", "accredited_provider", "build", "pseudonyms"]
