"""Deletion notices on a real database: who is told (per the ledger), with what, and once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.config import get_settings
from koppelvlak.connections import exceptions
from koppelvlak.connections import service as connections
from koppelvlak.delivery import flows, notices
from koppelvlak.delivery.errors import NoticeAlreadyAcknowledged, NoticeUnknown
from koppelvlak.delivery.models import DeletionNotice
from koppelvlak.kit import mail
from koppelvlak.release import kept
from koppelvlak.release.models import KeptObject
from koppelvlak.roster.models import Student
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, Setup, board_with_school, connected
from tests.factories.roster import StudentFactory

KEY = b"notices-integration-key-0123456789"


def settle(session: Session) -> None:
    """What the runtime does before every commit: settle the kept releases, then follow them."""
    kept.settle(session, KEY)
    flows.after_refresh(session)


def pupil(session: Session, setup: Setup) -> Student:
    student = StudentFactory(board_id=setup.board.id, school_id=setup.school.id)
    session.add(student)
    session.flush()
    return student


def received(session: Session, setup: Setup, *people: uuid.UUID) -> None:
    """The provider fetched these people: a ledger entry under its connection."""
    audit.record(
        session,
        DisclosureFactory(
            board_id=setup.board.id,
            provider_id=setup.provider.id,
            connection_id=setup.connection.id,
            person_ids=frozenset(people),
        ),
        T0,
    )


def user_key(session: Session, setup: Setup, person_id: uuid.UUID) -> str:
    key = session.scalar(
        select(KeptObject.key).where(
            KeptObject.connection_id == setup.connection.id,
            KeptObject.collection == "users",
            KeptObject.person_id == person_id,
        )
    )
    assert key is not None
    return key


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Set a KOPPELVLAK_* variable for this test; the process-wide settings are read anew."""

    def put(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield put
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def two_providers(session: Session) -> tuple[Setup, Setup, Student]:
    """One school, two providers; only the first fetched the pupil."""
    board, school = board_with_school(session)
    first = connected(session, board=board, school=school)
    second = connected(session, board=board, school=school)
    student = pupil(session, first)
    settle(session)
    received(session, first, student.id)
    return first, second, student


class TestAnObjection:
    def test_tells_only_the_provider_that_received_the_person(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, second, student = two_providers
        pseudonym = user_key(session, first, student.id)
        for setup in (first, second):
            exceptions.record_objection(
                session, first.board.id, setup.provider.id, student.id, actor="admin", at=T0
            )
        settle(session)

        (notice,) = notices.notices_for_person(
            session, board_id=first.board.id, person_id=student.id
        )
        assert notice.provider_id == first.provider.id
        assert notice.reason == "objection"
        assert notice.pseudonym == pseudonym
        assert notice.due_at - notice.created_at == timedelta(days=14)

    def test_writes_nothing_when_the_change_is_rolled_back(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, student = two_providers
        checkpoint = session.begin_nested()
        exceptions.record_objection(
            session, first.board.id, first.provider.id, student.id, actor="admin", at=T0
        )
        settle(session)
        assert notices.notices_for_person(session, board_id=first.board.id, person_id=student.id)
        checkpoint.rollback()
        assert not notices.notices_for_person(
            session, board_id=first.board.id, person_id=student.id
        )


class TestARevokedConnection:
    def test_tells_its_provider_about_everyone_it_received(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, student = two_providers
        connections.revoke(
            session, first.board.id, first.connection.id, actor="admin", at=T0, reason="ended"
        )
        settle(session)

        (notice,) = notices.notices_for_person(
            session, board_id=first.board.id, person_id=student.id
        )
        assert (notice.connection_id, notice.reason) == (first.connection.id, "connection_ended")

    def test_with_many_people_tells_exactly_those_it_received(self, session: Session) -> None:
        setup = connected(session)
        people = [pupil(session, setup) for _ in range(30)]
        settle(session)
        received(session, setup, *(p.id for p in people[:25]))  # five were never fetched
        connections.revoke(
            session, setup.board.id, setup.connection.id, actor="admin", at=T0, reason="ended"
        )
        settle(session)

        told = {
            p.id
            for p in people
            if notices.notices_for_person(session, board_id=setup.board.id, person_id=p.id)
        }
        assert told == {p.id for p in people[:25]}


class TestErasure:
    def test_one_notice_per_receiving_connection_and_idempotent_while_open(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, student = two_providers
        written = notices.notify_erasure(
            session, board_id=first.board.id, person_id=student.id, at=T0
        )
        again = notices.notify_erasure(
            session, board_id=first.board.id, person_id=student.id, at=T0 + timedelta(hours=1)
        )

        assert [n.id for n in again] == [n.id for n in written]
        (notice,) = written
        assert (notice.provider_id, notice.reason) == (first.provider.id, "erasure")
        assert notice.pseudonym == user_key(session, first, student.id)

    def test_a_person_nobody_received_gets_no_notice(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, _student = two_providers
        other = pupil(session, first)
        assert (
            notices.notify_erasure(session, board_id=first.board.id, person_id=other.id, at=T0)
            == []
        )

    def test_the_later_departure_from_the_roster_adds_no_second_notice(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, student = two_providers
        notices.notify_erasure(session, board_id=first.board.id, person_id=student.id, at=T0)
        exceptions.record_objection(
            session, first.board.id, first.provider.id, student.id, actor="admin", at=T0
        )
        settle(session)
        assert (
            len(notices.notices_for_person(session, board_id=first.board.id, person_id=student.id))
            == 1
        )


class TestAcknowledging:
    def _notice(self, session: Session, setup: Setup, student: Student) -> DeletionNotice:
        (notice,) = notices.notify_erasure(
            session, board_id=setup.board.id, person_id=student.id, at=T0
        )
        return notice

    def test_closes_the_notice_once_and_a_replay_keeps_the_first_time(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, _second, student = two_providers
        notice = self._notice(session, first, student)
        done = notices.acknowledge(
            session, provider_id=first.provider.id, notice_id=notice.id, at=T0, actor="client:a"
        )
        assert done.acknowledged_at is not None
        with pytest.raises(NoticeAlreadyAcknowledged) as replay:
            notices.acknowledge(
                session,
                provider_id=first.provider.id,
                notice_id=notice.id,
                at=T0 + timedelta(days=1),
                actor="client:a",
            )
        assert replay.value.acknowledged_at == T0
        assert done.acknowledged_at == T0

    def test_another_providers_notice_is_unknown_and_unchanged(
        self, session: Session, two_providers: tuple[Setup, Setup, Student]
    ) -> None:
        first, second, student = two_providers
        notice = self._notice(session, first, student)
        for notice_id in (notice.id, uuid.uuid4()):
            with pytest.raises(NoticeUnknown):
                notices.acknowledge(
                    session, provider_id=second.provider.id, notice_id=notice_id, at=T0, actor="x"
                )
        assert notice.acknowledged_at is None


class TestTheDeadline:
    def test_an_open_notice_past_its_due_time_is_overdue_and_escalates_once(
        self,
        session: Session,
        two_providers: tuple[Setup, Setup, Student],
        setting: Callable[[str, str], None],
    ) -> None:
        setting("KOPPELVLAK_NOTICE_ESCALATION_TO", "fg@school.example")
        first, _second, student = two_providers
        (notice,) = notices.notify_erasure(
            session, board_id=first.board.id, person_id=student.id, at=T0
        )
        late = T0 + timedelta(days=15)
        assert notices.overdue(session, board_id=first.board.id, at=T0 + timedelta(days=13)) == []
        assert notices.overdue(session, board_id=first.board.id, at=late) == [notice]

        assert notices.escalate(session, at=late, board_id=first.board.id) == [notice]
        assert notices.escalate(session, at=late, board_id=first.board.id) == []
        (sent,) = mail.take_queued(session)
        assert sent.to == "fg@school.example"
        assert str(notice.id) in sent.text
        assert student.given_name not in sent.text

    def test_the_deadline_is_a_setting(
        self,
        session: Session,
        two_providers: tuple[Setup, Setup, Student],
        setting: Callable[[str, str], None],
    ) -> None:
        setting("KOPPELVLAK_NOTICE_DEADLINE_DAYS", "3")
        first, _second, student = two_providers
        (notice,) = notices.notify_erasure(
            session, board_id=first.board.id, person_id=student.id, at=T0
        )
        assert notice.due_at - notice.created_at == timedelta(days=3)
