"""Naming policies and people on the command line: by id, code or LAS key, never guessing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from koppelvlak.errors import Ambiguous
from koppelvlak.policies import lookup, service
from koppelvlak.policies.errors import PersonNotFound, PolicyNotFound
from koppelvlak.policies.models import Audience
from tests.factories.policies import family, published, staff_member
from tests.factories.providers import board_with_school
from tests.factories.roster import SchoolFactory


class TestFindingAPolicy:
    def test_by_code_or_by_id_within_the_board(self, session: Session) -> None:
        board, _ = board_with_school(session)
        made = published(session, board.id, code="privacy")
        assert lookup.find_policy(session, board.id, "privacy").id == made.policy_id
        assert lookup.find_policy(session, board.id, str(made.policy_id)).id == made.policy_id

    def test_another_boards_code_is_not_found(self, session: Session) -> None:
        mine, _ = board_with_school(session)
        theirs, _ = board_with_school(session)
        published(session, theirs.id, code="privacy")
        with pytest.raises(PolicyNotFound, match="no policy 'privacy' in this board"):
            lookup.find_policy(session, mine.id, "privacy")


class TestFindingAPerson:
    def test_by_las_key_among_the_policys_audience(self, session: Session) -> None:
        board, school = board_with_school(session)
        staff = staff_member(session, school)
        policy = service.get(
            session, board.id, published(session, board.id, audience=Audience.STAFF).policy_id
        )
        assert lookup.find_person(session, board.id, policy, staff.source_key) == staff.id

    def test_a_guardian_by_key(self, session: Session) -> None:
        _, school = board_with_school(session)
        kids = family(session, school)
        found = lookup.find_guardian(session, school.board_id, kids.guardian.source_key)
        assert found == kids.guardian.id

    def test_a_key_two_people_share_is_refused_with_their_ids(self, session: Session) -> None:
        board, school = board_with_school(session)
        second = SchoolFactory(board_id=board.id)
        session.add(second)
        session.flush()
        one, two = family(session, school), family(session, second)
        two.student.source_key = one.student.source_key
        session.flush()
        policy = service.get(session, board.id, published(session, board.id).policy_id)
        with pytest.raises(Ambiguous, match="names 2 people"):
            lookup.find_person(session, board.id, policy, one.student.source_key)

    def test_an_unknown_key_is_not_found(self, session: Session) -> None:
        board, _ = board_with_school(session)
        policy = service.get(session, board.id, published(session, board.id).policy_id)
        with pytest.raises(PersonNotFound, match="no student with id or LAS key 'X-1'"):
            lookup.find_person(session, board.id, policy, "X-1")
