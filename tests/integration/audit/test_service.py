"""The ledger records every disclosure in its board's chain and detects any tampering."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Update, delete, select, text, update
from sqlalchemy.orm import Session

from koppelvlak.audit import service
from koppelvlak.audit.errors import LedgerUnavailable, UnknownBoard
from koppelvlak.audit.ledger import GENESIS, PAYLOAD_MISMATCH, Header, entry_hash, timestamp
from koppelvlak.audit.models import ChainHead, Entry, Payload, PersonKey
from koppelvlak.audit.reports import BreakKind, ChainReport
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.integration.audit.conftest import RecordMany


def _chain(session: Session, board_id: uuid.UUID) -> ChainReport:
    (chain,) = service.verify(session, board_id).chains
    return chain


def _entry_id(session: Session, board_id: uuid.UUID, sequence: int) -> uuid.UUID:
    entry_id = session.scalar(
        select(Entry.id).where(Entry.board_id == board_id, Entry.sequence == sequence)
    )
    assert entry_id is not None
    return entry_id


def _payload(board_id: uuid.UUID, sequence: int) -> Update:
    return update(Payload).where(Payload.board_id == board_id, Payload.sequence == sequence)


def _people(session: Session, board_id: uuid.UUID, sequence: int) -> tuple[int, ...]:
    people = session.scalar(
        select(Payload.people).where(Payload.board_id == board_id, Payload.sequence == sequence)
    )
    assert people
    return people


class TestRecording:
    def test_a_board_s_entries_get_gapless_sequences_from_one(
        self, board: Board, record_many: RecordMany
    ) -> None:
        receipts = record_many(board.id, 4)
        assert [receipt.sequence for receipt in receipts] == [1, 2, 3, 4]
        assert {receipt.board_id for receipt in receipts} == {board.id}

    def test_each_entry_links_to_the_hash_of_the_entry_before_it(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        receipts = record_many(board.id, 3)
        links = session.execute(
            select(Entry.previous_hash, Entry.entry_hash)
            .where(Entry.board_id == board.id)
            .order_by(Entry.sequence)
        ).all()
        assert [link[0] for link in links] == [GENESIS] + [r.entry_hash for r in receipts[:2]]
        assert [link[1] for link in links] == [r.entry_hash for r in receipts]

    def test_the_chain_holds_a_commitment_and_not_the_people_or_the_query(
        self, session: Session, board: Board
    ) -> None:
        disclosure = DisclosureFactory.build(board_id=board.id, query="filter=givenName='Noor'")
        service.record(session, disclosure)
        entry = session.execute(select(Entry)).scalar_one()
        stored = " ".join(str(value) for value in vars(entry).values())
        assert "Noor" not in stored
        assert all(
            person.hex not in stored and str(person) not in stored
            for person in disclosure.person_ids
        )

    def test_a_page_of_a_hundred_people_is_one_compact_payload_row(
        self, session: Session, board: Board
    ) -> None:
        people = frozenset(uuid.uuid4() for _ in range(100))
        service.record(session, DisclosureFactory.build(board_id=board.id, person_ids=people))
        (numbers,) = session.scalars(select(Payload.people)).all()
        assert numbers is not None
        assert list(numbers) == sorted(numbers)
        assert len(set(numbers)) == 100
        keys = dict(session.execute(select(PersonKey.number, PersonKey.person_id)).all())
        assert {keys[n] for n in numbers} == people

    def test_a_person_keeps_one_key_per_board_across_entries(
        self, session: Session, make_board: Callable[[], Board], record_many: RecordMany
    ) -> None:
        first, second = make_board(), make_board()
        noor = uuid.uuid4()
        record_many(first.id, 3, person_ids=frozenset({noor}))
        record_many(second.id, 1, person_ids=frozenset({noor}))
        boards = session.scalars(
            select(PersonKey.board_id).where(PersonKey.person_id == noor)
        ).all()
        assert sorted(boards) == sorted([first.id, second.id])

    def test_two_boards_have_independent_chains(
        self, session: Session, make_board: Callable[[], Board], record_many: RecordMany
    ) -> None:
        first, second = make_board(), make_board()
        record_many(first.id, 2)
        receipts = record_many(second.id, 3)
        record_many(first.id, 1)
        assert [receipt.sequence for receipt in receipts] == [1, 2, 3]
        heads = dict(session.execute(select(ChainHead.board_id, ChainHead.last_sequence)).all())
        assert heads == {first.id: 3, second.id: 3}
        report = service.verify(session)
        assert report.ok
        assert {chain.board_id: chain.entries for chain in report.chains} == {
            first.id: 3,
            second.id: 3,
        }

    def test_a_disclosure_that_cannot_be_written_is_a_503_ledger_failure(
        self, session: Session
    ) -> None:
        unknown_board = DisclosureFactory.build(board_id=uuid.uuid4())
        with pytest.raises(LedgerUnavailable) as raised:
            service.record(session, unknown_board)
        assert raised.value.status == 503
        assert raised.value.title == "Disclosure ledger unavailable"
        assert raised.value.detail == "the disclosure could not be recorded, so nothing was sent"
        assert "foreign key" in raised.value.reason.lower()  # kept for the logs

    def test_a_failed_commit_inside_ledger_writes_is_a_503_ledger_failure(
        self, session: Session
    ) -> None:
        with (
            pytest.raises(LedgerUnavailable, match=r"^the disclosure could not be recorded, so"),
            service.ledger_writes(),
        ):
            session.execute(text("SELECT * FROM no_such_table"))

    def test_the_recording_time_is_the_given_moment_in_utc(
        self, session: Session, board: Board
    ) -> None:
        moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
        receipt = service.record(session, DisclosureFactory.build(board_id=board.id), at=moment)
        assert receipt.recorded_at == moment
        assert _chain(session, board.id).ok


class TestAnUntouchedLedger:
    def test_it_verifies_and_counts_every_entry(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        record_many(board.id, 5)
        record_many(board.id, 2, uwlr=True)
        record_many(board.id, 1, anonymous=True)
        chain = _chain(session, board.id)
        assert chain.ok
        assert (chain.board_code, chain.entries, chain.erased_subjects) == (board.code, 8, 0)

    def test_an_empty_ledger_verifies(self, session: Session) -> None:
        report = service.verify(session)
        assert report.ok
        assert report.entries == 0

    def test_progress_is_reported_against_the_expected_total(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        record_many(board.id, 3)
        seen: list[tuple[int, int]] = []
        service.verify(session, board.id, progress=lambda done, total: seen.append((done, total)))
        assert sum(done for done, _ in seen) == 3
        assert {total for _, total in seen} == {3}


class TestTampering:
    @pytest.fixture
    def chain(self, board: Board, record_many: RecordMany) -> uuid.UUID:
        record_many(board.id, 5)
        return board.id

    def test_a_changed_header_field_is_named(self, session: Session, chain: uuid.UUID) -> None:
        entry_id = _entry_id(session, chain, 3)
        session.execute(
            update(Entry).where(Entry.id == entry_id).values(endpoint="GET /somewhere/else")
        )
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (3, entry_id, BreakKind.CHANGED)
        assert broken.detail == "its content does not match its hash"

    def test_a_changed_provider_is_named(self, session: Session, chain: uuid.UUID) -> None:
        entry_id = _entry_id(session, chain, 1)
        session.execute(update(Entry).where(Entry.id == entry_id).values(provider_id=uuid.uuid4()))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (1, entry_id, BreakKind.CHANGED)

    def test_a_change_with_a_recomputed_hash_is_caught_at_the_next_entry(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        entry = session.execute(
            select(Entry).where(Entry.board_id == chain, Entry.sequence == 2)
        ).scalar_one()
        other_provider = uuid.uuid4()
        forged = Header(
            entry.id.hex,
            entry.board_id.hex,
            entry.sequence,
            timestamp(entry.recorded_at),
            other_provider.hex,
            entry.connection_id.hex,
            entry.channel.value,
            entry.endpoint,
            entry.response_digest,
            entry.previous_hash,
            entry.payload_commitment,
        )
        session.execute(
            update(Entry)
            .where(Entry.id == entry.id)
            .values(provider_id=other_provider, entry_hash=entry_hash(forged))
        )
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (
            3,
            _entry_id(session, chain, 3),
            BreakKind.CHANGED,
        )
        assert broken.detail == (
            "it does not follow from entry 2: that entry or this link was changed"
        )

    def test_an_altered_query_is_named_as_a_payload_change(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        entry_id = _entry_id(session, chain, 4)
        session.execute(_payload(chain, 4).values(query="limit=1"))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (
            4,
            entry_id,
            BreakKind.PAYLOAD_ALTERED,
        )
        assert broken.detail == PAYLOAD_MISMATCH

    def test_an_altered_attribute_list_is_named(self, session: Session, chain: uuid.UUID) -> None:
        session.execute(_payload(chain, 2).values(attribute_ids="[]"))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (2, BreakKind.PAYLOAD_ALTERED)

    def test_a_swapped_person_is_named(self, session: Session, chain: uuid.UUID) -> None:
        entry_id = _entry_id(session, chain, 5)
        people = _people(session, chain, 5)
        other = _people(session, chain, 1)[0]
        session.execute(_payload(chain, 5).values(people=(other, *people[1:])))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (
            5,
            entry_id,
            BreakKind.PAYLOAD_ALTERED,
        )
        assert broken.detail == PAYLOAD_MISMATCH

    def test_a_person_removed_from_an_entry_is_named(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        session.execute(_payload(chain, 3).values(people=_people(session, chain, 3)[1:]))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (3, BreakKind.PAYLOAD_ALTERED)
        assert broken.detail == PAYLOAD_MISMATCH

    def test_a_person_whose_key_was_deleted_is_named(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        number = _people(session, chain, 2)[0]
        session.execute(delete(PersonKey).where(PersonKey.number == number))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.detail) == (
            2,
            BreakKind.PAYLOAD_ALTERED,
            "a person in it has no key in the ledger",
        )

    def test_a_person_key_given_to_someone_else_is_named(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        number = _people(session, chain, 4)[0]
        session.execute(
            update(PersonKey).where(PersonKey.number == number).values(person_id=uuid.uuid4())
        )
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (4, BreakKind.PAYLOAD_ALTERED)

    def test_a_deleted_entry_is_named_by_its_sequence(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        session.execute(delete(Entry).where(Entry.id == _entry_id(session, chain, 3)))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (3, None, BreakKind.REMOVED)
        assert broken.detail == "entry 3 is missing"

    def test_a_deleted_last_entry_is_caught_by_the_chain_head(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        session.execute(delete(Entry).where(Entry.id == _entry_id(session, chain, 5)))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind) == (5, BreakKind.REMOVED)
        assert broken.detail == "the chain head records 5 entries, only 4 remain"

    def test_two_swapped_entries_are_named_as_reordered(
        self, session: Session, chain: uuid.UUID
    ) -> None:
        second, third = _entry_id(session, chain, 2), _entry_id(session, chain, 3)
        session.execute(update(Entry).where(Entry.id == second).values(sequence=-2))
        session.execute(update(Entry).where(Entry.id == third).values(sequence=2))
        session.execute(update(Entry).where(Entry.id == second).values(sequence=3))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.entry_id, broken.kind) == (
            2,
            third,
            BreakKind.REORDERED,
        )
        assert broken.detail == "it follows the entry now at sequence 3, not entry 1"

    def test_a_deleted_payload_row_is_named(self, session: Session, chain: uuid.UUID) -> None:
        session.execute(delete(Payload).where(Payload.board_id == chain, Payload.sequence == 2))
        broken = _chain(session, chain).broken
        assert broken is not None
        assert (broken.sequence, broken.kind, broken.detail) == (
            2,
            BreakKind.PAYLOAD_ALTERED,
            "its payload row is missing",
        )

    def test_a_break_in_one_board_leaves_the_other_board_verified(
        self,
        session: Session,
        chain: uuid.UUID,
        make_board: Callable[[], Board],
        record_many: RecordMany,
    ) -> None:
        other = make_board()
        record_many(other.id, 2)
        session.execute(delete(Entry).where(Entry.id == _entry_id(session, chain, 1)))
        report = service.verify(session)
        assert not report.ok
        assert [c.board_id for c in report.broken] == [chain]
        assert _chain(session, other.id).ok


class TestBoardLookup:
    def test_a_board_is_found_by_its_code(self, session: Session, board: Board) -> None:
        assert service.board_by_code(session, board.code) == board.id

    def test_an_unknown_code_is_a_clear_error(self, session: Session) -> None:
        with pytest.raises(UnknownBoard, match=r"^no board with code 'NOPE'$"):
            service.board_by_code(session, "NOPE")
