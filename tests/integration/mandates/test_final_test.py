"""The final-test rule as the release engine applies it: only group-8 participants, enrolled on the
reference date; the kept release, explain and the drift check follow it; the school sees the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.connections.errors import ConnectionNotFound
from koppelvlak.mandates import final_test
from koppelvlak.mandates import service as mandates
from koppelvlak.release import kept
from koppelvlak.release import service as release
from koppelvlak.release.engine import Reason
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, Setup, board_with_school, connected, spec
from tests.factories.roster import StudentFactory

KEY = b"final-test-integration-key-0123456"
REFERENCE = date(2026, 1, 15)
DATASET = spec({"student.given_name": True, "student.year_group": True})


@dataclass
class School8:
    setup: Setup
    participant: Student
    unknown_start: Student
    group_7: Student
    came_later: Student
    left_before: Student


def _school(session: Session) -> School8:
    board, school = board_with_school(session)
    setup = connected(session, DATASET, board=board, school=school)

    def student(year: str, start: date | None, end: date | None = None) -> Student:
        made = StudentFactory(
            board_id=board.id,
            school_id=school.id,
            year_group=year,
            enrolment_start=start,
            enrolment_end=end,
        )
        session.add(made)
        return made

    made = School8(
        setup,
        participant=student("8", date(2018, 8, 20)),
        unknown_start=student("8", None),
        group_7=student("7", date(2019, 8, 20)),
        came_later=student("8", date(2026, 2, 1)),
        left_before=student("8", date(2018, 8, 20), date(2026, 1, 10)),
    )
    session.flush()
    return made


def _released(session: Session, found: School8) -> set[object]:
    result = release.resolve(session, found.setup.connection.id, T0, KEY)
    return {p.person_id for p in result.students}


def _rule(session: Session, found: School8) -> None:
    final_test.set_rule(
        session,
        found.setup.board.id,
        found.setup.connection.id,
        reference_date=REFERENCE,
        actor="admin:jan",
        at=T0,
    )


class TestTheFinalTestRule:
    def test_without_it_the_whole_school_is_released(self, session: Session) -> None:
        found = _school(session)
        assert len(_released(session, found)) == 5

    def test_releases_only_group_8_students_enrolled_on_the_reference_date(
        self, session: Session
    ) -> None:
        found = _school(session)
        _rule(session, found)
        assert _released(session, found) == {found.participant.id, found.unknown_start.id}

    @pytest.mark.parametrize(
        ("who", "detail"),
        [
            ("group_7", "not a final-test participant: not in year group 8"),
            ("came_later", "not a final-test participant: not enrolled on 2026-01-15"),
            ("left_before", "not a final-test participant: not enrolled on 2026-01-15"),
        ],
    )
    def test_explain_says_why_a_student_is_not_a_participant(
        self, session: Session, who: str, detail: str
    ) -> None:
        found = _school(session)
        _rule(session, found)
        student: Student = getattr(found, who)
        why = release.explain(session, found.setup.connection.id, student.id, T0)
        assert (why.released, why.reason, why.detail) == (False, Reason.OUT_OF_SCOPE, detail)

    def test_the_kept_release_follows_it_and_the_drift_check_finds_nothing(
        self, session: Session
    ) -> None:
        found = _school(session)
        kept.settle(session, KEY)
        _rule(session, found)
        kept.settle(session, KEY)
        assert kept.check(session, T0 + timedelta(minutes=1), KEY, found.setup.board.id) == []

    def test_is_recorded_in_the_connections_history(self, session: Session) -> None:
        from koppelvlak.connections import service as connections

        found = _school(session)
        _rule(session, found)
        events = connections.history(session, found.setup.board.id, found.setup.connection.id)
        assert events[-1].action == "set_final_test"
        assert events[-1].detail == {
            "year_group": "8",
            "reference_date": "2026-01-15",
            "party": found.setup.provider.kvk_number,
        }

    def test_another_boards_connection_is_not_found(self, session: Session) -> None:
        found = _school(session)
        other, _ = board_with_school(session)
        with pytest.raises(ConnectionNotFound):
            final_test.set_rule(
                session,
                other.id,
                found.setup.connection.id,
                reference_date=REFERENCE,
                actor="a",
                at=T0,
            )


class TestTheSchoolsView:
    def test_shows_the_mandate_participants_delivered_and_results(self, session: Session) -> None:
        found = _school(session)
        _rule(session, found)
        board, school = found.setup.board, found.setup.school
        code = f"{school.brin}{school.location_code}"
        (before,) = final_test.status(session, board.id, code, T0)
        assert (before.mandate_valid, before.participants_delivered, before.results_received) == (
            False,
            0,
            0,
        )
        mandates.grant(
            session,
            board.id,
            school=code,
            service=mandates.FINAL_TEST_SERVICE,
            party=found.setup.provider.kvk_number,
            valid_from=date(2025, 12, 1),
            valid_until=None,
            actor="admin:jan",
            at=T0,
        )
        audit.record(
            session,
            Disclosure(
                board_id=board.id,
                provider_id=found.setup.provider.id,
                connection_id=found.setup.connection.id,
                channel=Channel.PUSH,
                endpoint="push",
                attribute_ids=frozenset({"student.given_name"}),
                person_ids=frozenset({found.participant.id, found.unknown_start.id}),
                query="final-test participants",
                response_digest="0" * 64,
            ),
            T0,
        )
        (after,) = final_test.status(session, board.id, code, T0)
        assert (after.mandate_valid, after.participants_delivered) == (True, 2)
        assert after.last_delivered_at is not None
