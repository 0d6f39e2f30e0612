"""Objections and parental consent, as the release sees them on the day of release."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions
from koppelvlak.connections.errors import InvalidException
from koppelvlak.connections.models import ConsentState
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, Setup, connected, spec
from tests.factories.roster import StudentFactory

KEY = b"e" * 32
CONSENT = spec({"student.given_name": True, "student.birth_date": True}, purpose="homework_support")


def _student(session: Session, setup: Setup, born: date = date(2014, 5, 17)) -> Student:
    student: Student = StudentFactory(
        board_id=setup.board.id, school_id=setup.school.id, birth_date=born
    )
    session.add(student)
    session.flush()
    return student


class TestObjection:
    def test_an_objection_withholds_the_person_until_it_is_lifted(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        exceptions.record_objection(
            session, setup.board.id, setup.provider.id, student.id, actor="admin:a", at=T0
        )
        later = T0 + timedelta(hours=1)
        assert release.resolve(session, setup.connection.id, later, KEY).people == ()
        explanation = release.explain(session, setup.connection.id, student.id, later)
        assert (explanation.reason, explanation.detail) == (
            Reason.OBJECTION,
            "an objection to this provider is recorded",
        )
        exceptions.lift_objection(
            session, setup.board.id, setup.provider.id, student.id, actor="admin:a", at=later
        )
        assert len(release.resolve(session, setup.connection.id, later, KEY).people) == 1

    def test_an_objection_to_one_provider_does_not_touch_another(self, session: Session) -> None:
        first = connected(session)
        second = connected(session, board=first.board, school=first.school)
        student = _student(session, first)
        exceptions.record_objection(
            session, first.board.id, first.provider.id, student.id, actor="a", at=T0
        )
        assert release.resolve(session, first.connection.id, T0, KEY).people == ()
        assert len(release.resolve(session, second.connection.id, T0, KEY).people) == 1


class TestParentalConsent:
    def test_a_child_under_16_without_consent_is_not_released(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        student = _student(session, setup)
        assert release.resolve(session, setup.connection.id, T0, KEY).people == ()
        explanation = release.explain(session, setup.connection.id, student.id, T0)
        assert explanation.detail == "aged 11, under 16, parental consent not recorded"

    def test_given_consent_releases_and_withdrawal_stops_it(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        student = _student(session, setup)
        exceptions.record_consent(
            session,
            setup.board.id,
            setup.provider.id,
            student.id,
            ConsentState.GIVEN,
            decided_by="guardian:moeder",
            at=T0,
        )
        assert len(release.resolve(session, setup.connection.id, T0, KEY).people) == 1
        later = T0 + timedelta(days=2)
        exceptions.record_consent(
            session,
            setup.board.id,
            setup.provider.id,
            student.id,
            ConsentState.WITHDRAWN,
            decided_by="guardian:moeder",
            at=later,
        )
        result = release.resolve(session, setup.connection.id, later, KEY, since=T0)
        assert result.people == ()
        assert [d.left_at for d in result.departed] == [later]

    def test_age_is_computed_on_the_day_of_release(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        _student(session, setup, born=date(2010, 1, 6))  # 16 on 6 January 2026
        day_before = datetime(2026, 1, 5, 12, tzinfo=UTC)
        birthday = datetime(2026, 1, 6, 0, 1, tzinfo=UTC)
        assert release.resolve(session, setup.connection.id, day_before, KEY).people == ()
        assert len(release.resolve(session, setup.connection.id, birthday, KEY).people) == 1

    def test_the_consent_age_is_configurable(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        _student(session, setup, born=date(2012, 1, 1))  # 14
        assert (
            len(
                release.resolve(
                    session, setup.connection.id, T0, KEY, digital_consent_age=13
                ).people
            )
            == 1
        )

    def test_consent_that_was_never_given_cannot_be_withdrawn(self, session: Session) -> None:
        setup = connected(session, CONSENT)
        student = _student(session, setup)
        with pytest.raises(InvalidException) as raised:
            exceptions.record_consent(
                session,
                setup.board.id,
                setup.provider.id,
                student.id,
                ConsentState.WITHDRAWN,
                decided_by="x",
                at=T0,
            )
        assert str(raised.value) == "only consent that was given can be withdrawn"
