"""resolve and explain on a real database: who and what is released, and why."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from koppelvlak.release.errors import ConnectionInactive, PersonUnknown
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, Setup, connected, spec
from tests.factories.roster import SchoolFactory, StudentFactory

KEY = b"k" * 32


def _student(session: Session, setup: Setup, **fields: object) -> Student:
    fields.setdefault("school_id", setup.school.id)
    student: Student = StudentFactory(board_id=setup.board.id, **fields)
    session.add(student)
    session.flush()
    return student


class TestResolveWholeSchool:
    def test_it_releases_the_school_s_students_with_only_the_dataset_s_attributes(
        self, session: Session
    ) -> None:
        setup = connected(session)
        student = _student(session, setup, given_name="Emma", eckid="https://id.example/1")
        result = release.resolve(session, setup.connection.id, T0, KEY)
        assert [p.person_id for p in result.people] == [student.id]
        assert dict(result.people[0].attributes) == {
            "student.given_name": "Emma",
            "student.year_group": "8",
        }
        assert result.attribute_ids == frozenset({"student.given_name", "student.year_group"})
        assert [s.brin for s in result.schools] == [setup.school.brin]

    def test_dates_and_sex_come_as_date_and_string(self, session: Session) -> None:
        setup = connected(session, spec({"student.birth_date": True, "student.sex": True}), at=T0)
        _student(session, setup, birth_date=date(2014, 5, 17))
        person = release.resolve(session, setup.connection.id, T0, KEY).people[0]
        assert dict(person.attributes) == {
            "student.birth_date": date(2014, 5, 17),
            "student.sex": "female",
        }

    def test_a_student_of_another_school_is_not_released(self, session: Session) -> None:
        setup = connected(session)
        other_school = SchoolFactory(board_id=setup.board.id)
        session.add(other_school)
        session.flush()
        _student(session, setup, school_id=other_school.id)
        assert release.resolve(session, setup.connection.id, T0, KEY).people == ()

    def test_a_removed_student_is_not_released_and_departs_since(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        first = release.resolve(session, setup.connection.id, T0, KEY)
        student.removed_at = T0 + timedelta(hours=1)
        session.flush()
        later = T0 + timedelta(hours=2)
        second = release.resolve(session, setup.connection.id, later, KEY, since=T0)
        assert second.people == ()
        assert [(d.pseudonym, d.left_at) for d in second.departed] == [
            (first.people[0].pseudonym, T0 + timedelta(hours=1))
        ]


class TestConnectionState:
    def test_a_suspended_connection_answers_403(self, session: Session) -> None:
        setup = connected(session)
        connections.suspend(
            session, setup.board.id, setup.connection.id, actor="a", at=T0, reason="audit"
        )
        with pytest.raises(ConnectionInactive) as raised:
            release.resolve(session, setup.connection.id, T0 + timedelta(seconds=1), KEY)
        assert raised.value.status == 403
        assert str(raised.value) == f"connection {setup.connection.id} is suspended"

    def test_a_requested_connection_answers_403(self, session: Session) -> None:
        setup = connected(session, activate=False)
        with pytest.raises(ConnectionInactive):
            release.resolve(session, setup.connection.id, T0, KEY)


class TestPseudonyms:
    def test_they_are_stable_per_provider_and_differ_across_providers(
        self, session: Session
    ) -> None:
        first = connected(session)
        second = connected(session, board=first.board, school=first.school)
        _student(session, first)
        a1 = release.resolve(session, first.connection.id, T0, KEY).people[0].pseudonym
        a2 = release.resolve(session, first.connection.id, T0 + timedelta(days=1), KEY)
        b = release.resolve(session, second.connection.id, T0, KEY).people[0].pseudonym
        assert a2.people[0].pseudonym == a1
        assert a1 != b


class TestExplain:
    def test_a_released_student_has_every_dataset_attribute_released(
        self, session: Session
    ) -> None:
        setup = connected(session)
        student = _student(session, setup)
        explanation = release.explain(session, setup.connection.id, student.id, T0)
        assert (explanation.released, explanation.reason) == (True, Reason.RELEASED)
        assert [(a.attribute_id, a.reason) for a in explanation.attributes] == [
            ("student.given_name", Reason.RELEASED),
            ("student.year_group", Reason.RELEASED),
        ]

    def test_a_student_of_another_school_is_out_of_scope(self, session: Session) -> None:
        setup = connected(session)
        other_school = SchoolFactory(board_id=setup.board.id)
        session.add(other_school)
        session.flush()
        student = _student(session, setup, school_id=other_school.id)
        explanation = release.explain(session, setup.connection.id, student.id, T0)
        assert (explanation.reason, explanation.detail) == (
            Reason.OUT_OF_SCOPE,
            "not at the connection's school",
        )

    def test_an_unknown_person_is_not_found(self, session: Session) -> None:
        setup = connected(session)
        nobody = uuid.UUID(int=1)
        with pytest.raises(PersonUnknown) as raised:
            release.explain(session, setup.connection.id, nobody, T0)
        assert (
            str(raised.value)
            == f"no current student or staff member with id {nobody} in this board"
        )


class TestTenantIsolation:
    def test_a_release_never_contains_people_of_another_board(self, session: Session) -> None:
        import random

        rng = random.Random(5)
        first = connected(session)
        second = connected(session)
        mine = set()
        for _ in range(rng.randint(5, 15)):
            mine.add(_student(session, first).id)
        for _ in range(rng.randint(5, 15)):
            _student(session, second)
        result = release.resolve(session, first.connection.id, T0, KEY)
        assert {p.person_id for p in result.people} == mine
        assert {s.school_id for s in result.schools} == {first.school.id}


class TestProviderAccreditation:
    def test_a_suspended_provider_releases_nothing(self, session: Session) -> None:
        from koppelvlak.providers import service as providers
        from koppelvlak.providers.models import AccreditationState

        setup = connected(session)
        providers.accredit(
            session,
            setup.provider.id,
            AccreditationState.SUSPENDED,
            actor="op",
            at=T0,
            reason="breach",
        )
        with pytest.raises(ConnectionInactive) as raised:
            release.resolve(session, setup.connection.id, T0, KEY)
        assert str(raised.value) == "the provider is not accredited"
