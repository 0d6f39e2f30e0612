"""Legal holds: on a person or a purpose, with a reason; they stand until lifted."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.rights import holds
from koppelvlak.rights.applicable import UnknownPerson
from koppelvlak.rights.holds_models import LegalHold
from koppelvlak.roster.models import Board, School, Student
from tests.factories.providers import T0, board_with_school, connected, spec
from tests.factories.roster import StudentFactory


def _student(session: Session, board: Board, school: School, **fields: object) -> Student:
    student = StudentFactory(board_id=board.id, school_id=school.id, **fields)
    session.add(student)
    session.flush()
    return student


class TestAHoldOnAPerson:
    def test_is_found_while_it_stands_and_not_after_it_is_lifted(self, session: Session) -> None:
        board, school = board_with_school(session)
        student = _student(session, board, school)
        hold = holds.place_hold(
            session,
            board_id=board.id,
            person_id=student.id,
            reason="complaint 2026-17 at the inspectorate",
            actor="dpo:Els",
            at=T0,
        )

        found = holds.held(session, board_id=board.id, person_id=student.id, at=T0)
        assert found == hold
        assert found.reason == "complaint 2026-17 at the inspectorate"
        assert found.placed_by == "dpo:Els"
        assert (
            holds.held(
                session, board_id=board.id, person_id=student.id, at=T0 - timedelta(seconds=1)
            )
            is None
        )

        lifted = holds.lift_hold(
            session,
            board_id=board.id,
            hold_id=hold.id,
            reason="complaint closed",
            actor="dpo:Els",
            at=T0 + timedelta(days=3),
        )
        assert lifted.lifted_by == "dpo:Els"
        assert (
            holds.held(session, board_id=board.id, person_id=student.id, at=T0 + timedelta(days=3))
            is None
        )
        assert (
            holds.held(session, board_id=board.id, person_id=student.id, at=T0 + timedelta(days=1))
            == lifted
        )  # the history keeps when it stood

    def test_does_not_hold_another_person(self, session: Session) -> None:
        board, school = board_with_school(session)
        student, other = _student(session, board, school), _student(session, board, school)
        holds.place_hold(
            session, board_id=board.id, person_id=student.id, reason="r", actor="dpo", at=T0
        )
        assert holds.held(session, board_id=board.id, person_id=other.id, at=T0) is None


class TestAHoldOnAPurpose:
    def test_holds_every_person_that_purpose_applies_to_and_nobody_else(
        self, session: Session
    ) -> None:
        setup = connected(session, spec(purpose="final_test"))
        tested = _student(session, setup.board, setup.school)
        elsewhere_board, elsewhere = board_with_school(session)
        untouched = _student(session, elsewhere_board, elsewhere)
        hold = holds.place_hold(
            session,
            board_id=setup.board.id,
            purpose_code="final_test",
            reason="objection to the 2026 final test results",
            actor="dpo:Els",
            at=T0,
        )
        assert holds.held(session, board_id=setup.board.id, person_id=tested.id, at=T0) == hold
        assert (
            holds.held(session, board_id=elsewhere_board.id, person_id=untouched.id, at=T0) is None
        )


class TestBadHolds:
    def test_are_refused_with_a_clear_message_and_change_nothing(self, session: Session) -> None:
        board, school = board_with_school(session)
        student = _student(session, board, school)
        other_board, _ = board_with_school(session)
        cases = [
            ({"person_id": student.id, "reason": "  "}, "a legal hold needs a reason"),
            (
                {"person_id": student.id, "purpose_code": "final_test", "reason": "r"},
                "a legal hold names either a person or a purpose, not both or neither",
            ),
            (
                {"reason": "r"},
                "a legal hold names either a person or a purpose, not both or neither",
            ),
            ({"purpose_code": "gossip", "reason": "r"}, "unknown purpose 'gossip'"),
        ]
        for fields, message in cases:
            with pytest.raises(holds.InvalidHold) as raised:
                holds.place_hold(session, board_id=board.id, actor="dpo", at=T0, **fields)  # type: ignore[arg-type]
            assert raised.value.detail == message
        with pytest.raises(UnknownPerson):
            holds.place_hold(
                session,
                board_id=other_board.id,
                person_id=student.id,
                reason="r",
                actor="dpo",
                at=T0,
            )
        with pytest.raises(UnknownPerson):
            holds.place_hold(
                session, board_id=board.id, person_id=uuid.uuid4(), reason="r", actor="dpo", at=T0
            )
        assert session.scalar(select(func.count()).select_from(LegalHold)) == 0

    def test_lifting_twice_or_another_boards_hold_is_refused(self, session: Session) -> None:
        board, school = board_with_school(session)
        other_board, _ = board_with_school(session)
        student = _student(session, board, school)
        hold = holds.place_hold(
            session, board_id=board.id, person_id=student.id, reason="r", actor="dpo", at=T0
        )
        with pytest.raises(holds.UnknownHold):
            holds.lift_hold(
                session, board_id=other_board.id, hold_id=hold.id, reason="x", actor="dpo", at=T0
            )
        with pytest.raises(holds.InvalidHold):
            holds.lift_hold(
                session, board_id=board.id, hold_id=hold.id, reason="", actor="d", at=T0
            )
        holds.lift_hold(session, board_id=board.id, hold_id=hold.id, reason="x", actor="d", at=T0)
        with pytest.raises(holds.HoldAlreadyLifted):
            holds.lift_hold(
                session, board_id=board.id, hold_id=hold.id, reason="x", actor="d", at=T0
            )
