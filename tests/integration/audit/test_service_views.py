"""The ledger's views and erasure: who received what about whom, and forgetting it safely."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit import service
from koppelvlak.audit.models import Payload, PersonKey
from koppelvlak.audit.reports import ChainReport
from koppelvlak.audit.values import Channel
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.integration.audit.conftest import RecordMany


def _chain(session: Session, board_id: uuid.UUID) -> ChainReport:
    (chain,) = service.verify(session, board_id).chains
    return chain


class TestErasure:
    def test_an_erased_person_leaves_the_chain_verified_and_the_person_view_empty(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        noor, sem = uuid.uuid4(), uuid.uuid4()
        record_many(board.id, 2, person_ids=frozenset({noor, sem}))
        record_many(board.id, 1, person_ids=frozenset({sem}))
        assert service.erase_person(session, board.id, noor) == 2
        chain = _chain(session, board.id)
        assert chain.ok
        assert chain.erased_subjects == 2
        assert service.disclosures_for_person(session, board.id, noor) == ()
        assert len(service.disclosures_for_person(session, board.id, sem)) == 3

    def test_the_provider_view_counts_erased_people_without_naming_them(
        self, session: Session, board: Board
    ) -> None:
        noor, sem = uuid.uuid4(), uuid.uuid4()
        disclosure = DisclosureFactory.build(board_id=board.id, person_ids=frozenset({noor, sem}))
        service.record(session, disclosure)
        service.erase_person(session, board.id, noor)
        (seen,) = service.disclosures_for_provider(session, board.id, disclosure.provider_id)
        assert (seen.person_ids, seen.erased_people) == (frozenset({sem}), 1)

    def test_erasing_in_one_board_leaves_another_board_alone(
        self, session: Session, make_board: Callable[[], Board], record_many: RecordMany
    ) -> None:
        first, second = make_board(), make_board()
        person = uuid.uuid4()
        record_many(first.id, 1, person_ids=frozenset({person}))
        record_many(second.id, 1, person_ids=frozenset({person}))
        service.erase_person(session, first.id, person)
        assert len(service.disclosures_for_person(session, second.id, person)) == 1

    def test_retention_forgets_old_payloads_and_the_chain_still_verifies(
        self, session: Session, board: Board
    ) -> None:
        old = datetime(2020, 1, 1, tzinfo=UTC)
        person = uuid.uuid4()
        service.record(
            session, DisclosureFactory.build(board_id=board.id, person_ids={person}), at=old
        )
        service.record(session, DisclosureFactory.build(board_id=board.id, person_ids={person}))
        assert service.erase_payloads(session, board.id, old + timedelta(days=1)) == 1
        chain = _chain(session, board.id)
        assert chain.ok
        # Retention forgets the whole payload, how many people it named included; only
        # people erased one by one are counted (ADR 0031).
        assert (chain.erased_payloads, chain.erased_subjects) == (1, 0)
        (remaining,) = service.disclosures_for_person(session, board.id, person)
        assert remaining.sequence == 2

    def test_an_erased_person_leaves_no_key_no_number_and_no_id_behind(
        self, session: Session, board: Board
    ) -> None:
        noor, sem = uuid.uuid4(), uuid.uuid4()
        service.record(session, DisclosureFactory.build(board_id=board.id, person_ids={noor, sem}))
        (number,) = session.scalars(
            select(PersonKey.number).where(PersonKey.person_id == noor)
        ).all()
        service.erase_person(session, board.id, noor)
        assert session.scalars(select(PersonKey.person_id)).all() == [sem]
        people, erased = session.execute(select(Payload.people, Payload.erased)).one()
        assert number not in people
        assert len(people) == 1
        assert erased is not None
        assert len(erased) == 16  # the commitment stays; without the key it names nobody

    def test_a_person_disclosed_again_after_erasure_gets_a_new_key(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        noor = uuid.uuid4()
        record_many(board.id, 1, person_ids=frozenset({noor}))
        first = session.scalar(select(PersonKey.number).where(PersonKey.person_id == noor))
        service.erase_person(session, board.id, noor)
        record_many(board.id, 1, person_ids=frozenset({noor}))
        second = session.scalar(select(PersonKey.number).where(PersonKey.person_id == noor))
        assert second is not None
        assert second != first
        assert _chain(session, board.id).ok
        assert [d.sequence for d in service.disclosures_for_person(session, board.id, noor)] == [2]

    def test_erasing_someone_the_ledger_never_named_changes_nothing(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        record_many(board.id, 2)
        assert service.erase_person(session, board.id, uuid.uuid4()) == 0
        assert _chain(session, board.id).erased_subjects == 0


class TestViews:
    def test_the_person_view_lists_who_received_what_and_when(
        self, session: Session, board: Board
    ) -> None:
        person = uuid.uuid4()
        first = DisclosureFactory.build(board_id=board.id, person_ids={person})
        second = DisclosureFactory.build(
            board_id=board.id, person_ids={person, uuid.uuid4()}, uwlr=True
        )
        unrelated = DisclosureFactory.build(board_id=board.id)
        for disclosure in (first, unrelated, second):
            service.record(session, disclosure)
        seen = service.disclosures_for_person(session, board.id, person)
        assert [(d.provider_id, d.channel, d.sequence) for d in seen] == [
            (first.provider_id, Channel.ONEROSTER, 1),
            (second.provider_id, Channel.UWLR, 3),
        ]
        assert seen[0].attribute_ids == first.attribute_ids
        assert seen[0].query == first.query
        assert seen[1].endpoint == "HaalLeerlinggegevens"

    def test_the_provider_view_keeps_to_its_window_and_its_provider(
        self, session: Session, board: Board
    ) -> None:
        provider = uuid.uuid4()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        moments = [start + timedelta(days=day) for day in range(4)]
        for moment in moments:
            service.record(
                session, DisclosureFactory.build(board_id=board.id, provider_id=provider), at=moment
            )
        service.record(session, DisclosureFactory.build(board_id=board.id), at=moments[1])
        seen = service.disclosures_for_provider(
            session, board.id, provider, since=moments[1], until=moments[3]
        )
        assert [d.recorded_at for d in seen] == moments[1:3]
        assert all(len(d.person_ids) == 3 for d in seen)
