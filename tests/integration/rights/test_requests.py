"""The data-subject request workflow: filing, every step with who and when, the deadline, and
what carrying out each kind does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections.models import Objection
from koppelvlak.release import service as release
from koppelvlak.rights import actions, holds, requests
from koppelvlak.rights.errors import (
    DuplicateRequest,
    InvalidRequest,
    PersonNotFound,
    ReasonRequired,
    RequestNotFound,
    StepRefused,
)
from koppelvlak.rights.models import RequestKind, RequestState, RightsRequest, RightsRequestEvent
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, connected
from tests.factories.rights import Family, family

KEY = b"e" * 32


def _file(
    session: Session, people: Family, kind: RequestKind = RequestKind.ACCESS, **fields: object
) -> RightsRequest:
    filing = requests.Filing(kind=kind, person_id=people.child.id, actor="dpo:fg", **fields)  # type: ignore[arg-type]  # test passes known fields
    return requests.file_request(session, people.board_id, filing, at=T0)


def _approved(
    session: Session, people: Family, kind: RequestKind, **fields: object
) -> RightsRequest:
    filed = _file(session, people, kind, **fields)
    requests.check_identity(session, people.board_id, filed.id, actor="admin:a", at=T0)
    return requests.approve(session, people.board_id, filed.id, actor="dpo:fg", at=T0)


def _count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestFiling:
    def test_a_request_is_received_with_a_deadline_one_month_later(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people)
        assert filed.state is RequestState.RECEIVED
        assert filed.deadline.replace(tzinfo=UTC) == datetime(2026, 2, 5, 9, 0, tzinfo=UTC)
        [step] = requests.events(session, people.board_id, filed.id)
        assert (step.action, step.actor, step.to_state) == ("filed", "dpo:fg", "received")

    def test_an_unknown_person_is_refused_and_nothing_is_recorded(self, session: Session) -> None:
        people = family(session)
        before = _count(session, RightsRequest)
        filing = requests.Filing(RequestKind.ACCESS, people.guardian.id, actor="dpo:fg")
        with pytest.raises(PersonNotFound) as raised:
            requests.file_request(session, people.board_id, filing, at=T0)
        assert raised.value.status == 404
        assert str(raised.value) == (
            f"no student or staff member with id {people.guardian.id} in this board"
        )
        assert _count(session, RightsRequest) == before

    def test_another_boards_person_is_as_unknown_as_nobody(self, session: Session) -> None:
        people, other = family(session), family(session)
        filing = requests.Filing(RequestKind.ACCESS, other.child.id, actor="dpo:fg")
        with pytest.raises(PersonNotFound):
            requests.file_request(session, people.board_id, filing, at=T0)
        with pytest.raises(RequestNotFound):
            requests.get(session, people.board_id, _file(session, other).id)

    def test_a_second_open_request_of_the_same_kind_is_a_conflict(self, session: Session) -> None:
        people = family(session)
        first = _file(session, people)
        with pytest.raises(DuplicateRequest) as raised:
            _file(session, people)
        assert raised.value.status == 409
        assert str(raised.value) == (
            f"an access request for this person is already open ({first.id}, received); "
            "handle that one first"
        )
        _file(session, people, RequestKind.OBJECTION)  # another kind is fine

    def test_once_the_first_is_closed_a_new_one_may_be_filed(self, session: Session) -> None:
        people = family(session)
        first = _file(session, people)
        requests.refuse(session, people.board_id, first.id, actor="dpo:fg", at=T0, reason="dup")
        assert _file(session, people).id != first.id

    def test_only_an_objection_or_restriction_names_a_provider(self, session: Session) -> None:
        people = family(session)
        with pytest.raises(InvalidRequest, match="only an objection or a restriction"):
            _file(session, people, RequestKind.ACCESS, provider_id=people.first.provider.id)
        stranger = connected(session)
        with pytest.raises(InvalidRequest, match="has no connection in this board"):
            _file(session, people, RequestKind.OBJECTION, provider_id=stranger.provider.id)


class TestTheWorkflow:
    def test_every_step_names_who_took_it_and_when(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people)
        later = T0 + timedelta(days=2)
        requests.check_identity(
            session, people.board_id, filed.id, actor="admin:a", at=later, note="passport seen"
        )
        requests.approve(session, people.board_id, filed.id, actor="dpo:fg", at=later)
        actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=later)
        steps = [
            (e.seq, e.action, e.actor, e.from_state, e.to_state, e.reason)
            for e in requests.events(session, people.board_id, filed.id)
        ]
        assert steps == [
            (1, "filed", "dpo:fg", None, "received", None),
            (2, "check_identity", "admin:a", "received", "identity_checked", "passport seen"),
            (3, "approve", "dpo:fg", "identity_checked", "approved", None),
            (4, "carry_out", "dpo:fg", "approved", "carried_out", filed.outcome),
        ]
        assert filed.state is RequestState.CARRIED_OUT
        assert filed.outcome == "access export made: 0 disclosures, 0 groups, 0 results"

    def test_a_request_cannot_be_approved_before_the_identity_check(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people)
        with pytest.raises(StepRefused) as raised:
            requests.approve(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert str(raised.value) == (
            "the request is received; it must be identity_checked to become approved"
        )
        assert filed.state is RequestState.RECEIVED

    def test_a_refusal_without_a_reason_changes_nothing(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people)
        for reason in (None, "   "):
            with pytest.raises(ReasonRequired) as raised:
                requests.refuse(
                    session, people.board_id, filed.id, actor="dpo:fg", at=T0, reason=reason
                )
            assert raised.value.status == 422
            assert str(raised.value) == "a refusal needs a reason; the requester is told it"
        assert filed.state is RequestState.RECEIVED
        assert len(requests.events(session, people.board_id, filed.id)) == 1

    def test_a_refusal_records_its_reason_and_closes_the_request(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people)
        requests.refuse(
            session, people.board_id, filed.id, actor="dpo:fg", at=T0, reason="not the parent"
        )
        assert (filed.state, filed.refusal_reason) == (RequestState.REFUSED, "not the parent")
        with pytest.raises(StepRefused):
            requests.check_identity(session, people.board_id, filed.id, actor="a", at=T0)


class TestTheDeadline:
    @pytest.mark.parametrize(
        ("received", "deadline"),
        [
            (datetime(2026, 1, 31, 8, tzinfo=UTC), datetime(2026, 2, 28, 8, tzinfo=UTC)),
            (datetime(2028, 1, 31, 8, tzinfo=UTC), datetime(2028, 2, 29, 8, tzinfo=UTC)),
            (datetime(2026, 12, 15, 8, tzinfo=UTC), datetime(2027, 1, 15, 8, tzinfo=UTC)),
        ],
    )
    def test_one_month_is_the_same_day_next_month_or_its_last_day(
        self, received: datetime, deadline: datetime
    ) -> None:
        assert requests.add_months(received, 1) == deadline

    def test_the_deadline_is_extended_once_by_two_months_with_a_reason(
        self, session: Session
    ) -> None:
        people = family(session)
        filed = _file(session, people)
        with pytest.raises(ReasonRequired):
            requests.extend(session, people.board_id, filed.id, actor="dpo", at=T0, reason="")
        requests.extend(
            session, people.board_id, filed.id, actor="dpo:fg", at=T0, reason="many providers"
        )
        assert filed.deadline.replace(tzinfo=UTC) == datetime(2026, 4, 5, 9, 0, tzinfo=UTC)
        with pytest.raises(StepRefused, match="already extended once"):
            requests.extend(
                session, people.board_id, filed.id, actor="dpo:fg", at=T0, reason="again"
            )

    def test_a_reminder_comes_once_per_deadline_for_open_requests_only(
        self, session: Session
    ) -> None:
        people = family(session)
        due = _file(session, people)
        closed = _file(session, people, RequestKind.OBJECTION)
        requests.refuse(session, people.board_id, closed.id, actor="dpo", at=T0, reason="no")
        near = T0 + timedelta(days=26)  # deadline 5 February; a week ahead is 29 January
        assert requests.remind(session, people.board_id, at=T0, dpo_email=None) == []
        assert requests.remind(session, people.board_id, at=near, dpo_email=None) == [due]
        assert requests.remind(session, people.board_id, at=near, dpo_email=None) == []
        requests.extend(session, people.board_id, due.id, actor="dpo", at=near, reason="busy")
        later = datetime(2026, 3, 30, tzinfo=UTC)
        assert requests.remind(session, people.board_id, at=later, dpo_email=None) == [due]


class TestCarryingOut:
    def test_an_objection_withholds_the_person_from_the_named_provider_at_once(
        self, session: Session
    ) -> None:
        people = family(session)
        filed = _approved(
            session, people, RequestKind.OBJECTION, provider_id=people.first.provider.id
        )
        actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        first = release.resolve(session, people.first.connection.id, T0, KEY).people
        second = release.resolve(session, people.second.connection.id, T0, KEY).people
        assert people.child.id not in {p.person_id for p in first}
        assert people.child.id in {p.person_id for p in second}
        assert filed.outcome == "objection recorded for 1 provider(s)"

    def test_a_restriction_stops_every_release_of_the_person(self, session: Session) -> None:
        people = family(session)
        filed = _approved(session, people, RequestKind.RESTRICTION)
        actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        for setup in (people.first, people.second):
            released = release.resolve(session, setup.connection.id, T0, KEY).people
            assert people.child.id not in {p.person_id for p in released}
            assert people.namesake.id in {p.person_id for p in released}
        recorded_by = session.scalars(
            select(Objection.recorded_by).where(Objection.person_id == people.child.id)
        ).all()
        assert recorded_by == [f"dpo:fg (restriction request {filed.id})"] * 2

    def test_a_rectification_records_what_was_corrected_in_the_las(self, session: Session) -> None:
        people = family(session)
        filed = _approved(session, people, RequestKind.RECTIFICATION)
        with pytest.raises(ReasonRequired, match="say what was corrected in the LAS"):
            actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert filed.state is RequestState.APPROVED
        actions.carry_out(
            session, people.board_id, filed.id, actor="dpo:fg", at=T0, note="birth date fixed"
        )
        assert filed.outcome == "corrected in the LAS: birth date fixed"

    def test_an_erasure_removes_the_person_and_the_requests_forget_them(
        self, session: Session
    ) -> None:
        people = family(session)
        filed = _approved(session, people, RequestKind.ERASURE, contact_email="o@home.example")
        child_id = people.child.id
        actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert filed.state is RequestState.CARRIED_OUT
        assert filed.outcome is not None
        assert filed.outcome.startswith("erased: ")
        assert filed.outcome.endswith("deletion notice(s) made")
        session.expire_all()
        assert session.get(Student, child_id) is None
        assert (filed.person_id, filed.contact_email) == (None, None)
        assert [e.action for e in requests.events(session, people.board_id, filed.id)] == [
            "filed",
            "check_identity",
            "approve",
            "carry_out",
        ]

    def test_a_legal_hold_beats_an_erasure_request_and_nothing_changes(
        self, session: Session
    ) -> None:
        people = family(session)
        filed = _approved(session, people, RequestKind.ERASURE)
        holds.place_hold(
            session,
            board_id=people.board_id,
            reason="court case",
            actor="dpo:fg",
            at=T0 - timedelta(days=1),
            person_id=people.child.id,
        )
        with pytest.raises(holds.HeldError):
            actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert filed.state is RequestState.APPROVED
        assert session.get(Student, people.child.id) is not None

    def test_only_an_approved_request_is_carried_out(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people, RequestKind.RESTRICTION)
        with pytest.raises(StepRefused):
            actions.carry_out(session, people.board_id, filed.id, actor="dpo:fg", at=T0)
        assert _count(session, Objection) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(RightsRequestEvent)
                .where(RightsRequestEvent.request_id == filed.id)
            )
            == 1
        )


class TestRemindingEveryBoard:
    def test_the_refresh_round_reminds_about_each_boards_requests(self, session: Session) -> None:
        mine, theirs = family(session), family(session)
        first, second = _file(session, mine), _file(session, theirs)
        near = T0 + timedelta(days=26)
        due = requests.remind_every_board(session, at=near, dpo_email=None)
        assert {r.id for r in due} >= {first.id, second.id}
        assert all(r.reminded_at is not None for r in (first, second))


class TestForgettingAnErasedPerson:
    def test_the_requests_keep_their_steps_but_not_the_person(self, session: Session) -> None:
        people = family(session)
        filed = _file(session, people, contact_email="ouder@home.example", details="alles")
        other = _file(session, people, RequestKind.OBJECTION)
        assert requests.forget_person(session, people.board_id, people.child.id) == 2
        for request in (filed, other):
            assert (request.person_id, request.contact_email, request.details) == (None, None, None)
            assert request.kind in {RequestKind.ACCESS, RequestKind.OBJECTION}
        assert len(requests.events(session, people.board_id, filed.id)) == 1
        with pytest.raises(StepRefused, match="the person of this request has been erased"):
            requests.subject_of(filed)
