"""The process's memo of person keys is used only while its board's stamp holds (ADR 0140)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from koppelvlak.audit import appends, key_cache, service
from koppelvlak.audit.key_cache import KeyCache
from koppelvlak.audit.models import ChainHead, Entry, Payload, PersonKey
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory


def _driver(session: Session) -> appends.Driver:
    return appends.Driver.of(session.connection())


def _numbers(session: Session, board_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(PersonKey.person_id, PersonKey.number).where(PersonKey.board_id == board_id)
    )
    return {person.hex: number for person, number in rows}


class TestAPageOfKnownPeople:
    def test_the_second_page_finds_every_key_in_the_memo(
        self, session: Session, board: Board
    ) -> None:
        first = DisclosureFactory.build(board_id=board.id)
        service.record(session, first)
        cache = KeyCache()
        again = DisclosureFactory.build(board_id=board.id, person_ids=first.person_ids)
        appends.prepare(_driver(session), again, cache=cache)
        _, stamp = appends.epoch(_driver(session), board.id)
        assert stamp is not None
        known = cache.known(board.id, stamp, [p.hex for p in first.person_ids])
        assert {hex_id: number for hex_id, (number, _) in known.items()} == _numbers(
            session, board.id
        )
        prepared = appends.prepare(_driver(session), again, cache=cache)
        assert prepared.draft is not None
        appends.write(_driver(session), [prepared])
        (chain,) = service.verify(session, board.id).chains
        assert chain.ok, chain.broken

    def test_a_chain_without_entries_uses_no_memo(self, session: Session, board: Board) -> None:
        assert appends.epoch(_driver(session), board.id) == (None, None)
        cache = KeyCache()
        appends.prepare(_driver(session), DisclosureFactory.build(board_id=board.id), cache=cache)
        assert cache.size() == 0


class TestAnErasure:
    def test_the_erased_persons_key_is_never_used_again(
        self, session: Session, board: Board
    ) -> None:
        first = DisclosureFactory.build(board_id=board.id)
        service.record(session, first)
        cache = KeyCache()
        again = DisclosureFactory.build(board_id=board.id, person_ids=first.person_ids)
        appends.prepare(_driver(session), again, cache=cache)  # learns the three keys
        erased = sorted(first.person_ids)[0]
        old_number = _numbers(session, board.id)[erased.hex]
        service.erase_person(session, board.id, erased)  # another process's memo: ``cache``
        prepared = appends.prepare(_driver(session), again, cache=cache)
        assert prepared.draft is None  # the erased person has no key now: made under the lock
        (receipt,) = appends.write(_driver(session), [prepared])
        new_number = _numbers(session, board.id)[erased.hex]
        assert new_number != old_number
        people = session.scalar(
            select(Payload.people).where(
                Payload.board_id == board.id, Payload.sequence == receipt.sequence
            )
        )
        assert people is not None
        assert old_number not in people
        assert new_number in people
        (chain,) = service.verify(session, board.id).chains
        assert chain.ok, chain.broken
        assert chain.erased_subjects == 1

    def test_the_erasing_process_forgets_the_board_at_once(
        self, session: Session, board: Board
    ) -> None:
        first = DisclosureFactory.build(board_id=board.id)
        service.record(session, first)
        service.prepare(session, [first])
        cache = key_cache.for_engine(session.connection().engine)
        assert cache.size() >= 3
        before = cache.size()
        service.erase_person(session, board.id, sorted(first.person_ids)[0])
        assert cache.size() == before - 3


class TestAChainStartedAgain:
    def test_a_board_made_again_with_the_same_id_does_not_get_the_old_keys(
        self, session: Session, board: Board
    ) -> None:
        # ``koppelvlak demo`` removes its board and makes it again with the same ids.
        first = DisclosureFactory.build(board_id=board.id)
        service.record(session, first)
        cache = KeyCache()
        appends.prepare(_driver(session), first, cache=cache)
        old = _numbers(session, board.id)
        for table in (Payload, Entry, PersonKey, ChainHead):
            session.execute(delete(table).where(table.board_id == board.id))
        service.record(session, DisclosureFactory.build(board_id=board.id))  # a new first entry
        service.record(session, first)  # the same people get new keys
        new = _numbers(session, board.id)
        assert set(new.values()).isdisjoint(old.values())
        prepared = appends.prepare(_driver(session), first, cache=cache)
        assert prepared.draft is not None
        appends.write(_driver(session), [prepared])
        (chain,) = service.verify(session, board.id).chains
        assert chain.ok, chain.broken


class TestTheMemo:
    def test_keys_read_under_an_older_stamp_are_not_learnt_into_a_newer_memo(self) -> None:
        board_id = uuid.uuid4()
        cache = KeyCache()
        cache.learn(board_id, (1, "a"), {"p": (1, b"new")})
        cache.learn(board_id, (0, "a"), {"q": (2, b"old")})
        assert cache.known(board_id, (1, "a"), ["p", "q"]) == {"p": (1, b"new")}

    def test_another_stamp_empties_the_boards_memo(self) -> None:
        board_id = uuid.uuid4()
        cache = KeyCache()
        cache.learn(board_id, (0, "a"), {"p": (1, b"k")})
        assert cache.known(board_id, (1, "a"), ["p"]) == {}
        assert cache.known(board_id, (0, "a"), ["p"]) == {}
        assert cache.size() == 0

    def test_past_its_limit_it_starts_again(self) -> None:
        cache = KeyCache(limit=2)
        first, second = uuid.uuid4(), uuid.uuid4()
        cache.learn(first, (0, "a"), {"p": (1, b"k"), "q": (2, b"k")})
        cache.learn(second, (0, "b"), {"r": (3, b"k")})
        assert cache.size() == 1
        assert cache.known(first, (0, "a"), ["p"]) == {}
