"""Explain at a past moment uses the connection as recorded then: state, scope, switch-offs,
dataset version and the provider's accreditation, replayed from their histories."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections import scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import BeforeHistory
from koppelvlak.connections.flows import propose_dataset_version
from koppelvlak.connections.models import ScopeKind
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from koppelvlak.release.service import Explanation
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, Setup, connected, spec
from tests.factories.roster import StudentFactory

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _student(session: Session, setup: Setup) -> Student:
    student: Student = StudentFactory(
        board_id=setup.board.id, school_id=setup.school.id, year_group="8"
    )
    session.add(student)
    session.flush()
    return student


def _explain(session: Session, setup: Setup, student: Student, at: datetime) -> Explanation:
    return release.explain(session, setup.connection.id, student.id, at)


def _attributes(explanation: Explanation) -> dict[str, str]:
    return {a.attribute_id: str(a.reason) for a in explanation.attributes}


class TestTheConnectionState:
    def test_before_its_approval_the_connection_was_inactive(self, session: Session) -> None:
        setup = connected(session, activate=False)
        student = _student(session, setup)
        connections.approve(
            session, setup.board.id, setup.connection.id, actor="admin:test", at=T0 + DAY
        )
        assert _explain(session, setup, student, T0 + HOUR).reason is Reason.CONNECTION_INACTIVE
        assert _explain(session, setup, student, T0 + 2 * DAY).reason is Reason.RELEASED

    def test_before_a_later_suspension_the_person_was_released(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        connections.suspend(
            session, setup.board.id, setup.connection.id, actor="a", at=T0 + DAY, reason="audit"
        )
        assert _explain(session, setup, student, T0 + HOUR).reason is Reason.RELEASED
        later = _explain(session, setup, student, T0 + 2 * DAY)
        assert (later.reason, later.connection_state) == (Reason.CONNECTION_INACTIVE, "suspended")

    def test_a_moment_before_the_request_is_refused_with_its_date(self, session: Session) -> None:
        setup = connected(session, at=T0 + DAY)
        student = _student(session, setup)
        with pytest.raises(BeforeHistory) as raised:
            _explain(session, setup, student, T0)
        assert str(raised.value) == (
            f"connection {setup.connection.id} was requested at 2026-01-06T09:00:00+00:00; "
            "nothing is known about it at 2026-01-05T09:00:00+00:00; expected a moment on or "
            "after its request"
        )


class TestWhatTheConnectionReleasedThen:
    def test_an_attribute_switched_off_later_was_still_released(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        scope.switch_attribute(
            session,
            setup.board.id,
            setup.connection.id,
            "student.year_group",
            on=False,
            actor="admin:test",
            at=T0 + DAY,
        )
        assert _attributes(_explain(session, setup, student, T0 + HOUR)) == {
            "student.given_name": "released",
            "student.year_group": "released",
        }
        assert _attributes(_explain(session, setup, student, T0 + 2 * DAY)) == {
            "student.given_name": "released",
            "student.year_group": "switched_off",
        }

    def test_an_attribute_switched_back_on_later_was_off_in_between(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        for on, at in ((False, T0 + DAY), (True, T0 + 3 * DAY)):
            scope.switch_attribute(
                session,
                setup.board.id,
                setup.connection.id,
                "student.year_group",
                on=on,
                actor="admin:test",
                at=at,
            )
        middle = _attributes(_explain(session, setup, student, T0 + 2 * DAY))
        assert middle["student.year_group"] == "switched_off"
        assert _attributes(_explain(session, setup, student, T0 + HOUR))["student.year_group"] == (
            "released"
        )

    def test_a_scope_narrowed_later_still_covered_the_student_before(
        self, session: Session
    ) -> None:
        setup = connected(session)
        student = _student(session, setup)
        scope.set_scope(
            session,
            setup.board.id,
            setup.connection.id,
            kind=ScopeKind.YEAR_GROUPS,
            year_groups=frozenset({"5"}),
            actor="admin:test",
            at=T0 + DAY,
        )
        assert _explain(session, setup, student, T0 + HOUR).reason is Reason.RELEASED
        assert _explain(session, setup, student, T0 + 2 * DAY).reason is Reason.OUT_OF_SCOPE

    def test_the_dataset_version_in_force_then_decides_the_attributes(
        self, session: Session
    ) -> None:
        setup = connected(session)
        student = _student(session, setup)
        narrower = spec({"student.given_name": True})
        propose_dataset_version(session, setup.app_id, narrower, actor="provider", at=T0 + DAY)
        before = _attributes(_explain(session, setup, student, T0 + HOUR))
        assert sorted(before) == ["student.given_name", "student.year_group"]
        after = _attributes(_explain(session, setup, student, T0 + 2 * DAY))
        assert sorted(after) == ["student.given_name"]

    def test_a_provider_suspended_later_was_accredited_before(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup)
        providers.accredit(
            session,
            setup.provider.id,
            AccreditationState.SUSPENDED,
            actor="operator",
            at=T0 + DAY,
            reason="complaint",
        )
        assert _explain(session, setup, student, T0 + HOUR).reason is Reason.RELEASED
        assert _explain(session, setup, student, T0 + 2 * DAY).reason is (
            Reason.CONNECTION_INACTIVE
        )
