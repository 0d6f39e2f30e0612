"""Verifying a long chain in stretches across processes reports exactly what one walk reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Executable, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.audit import service
from koppelvlak.audit.models import ChainHead, Entry, Payload
from koppelvlak.audit.reports import BreakKind, VerifyReport
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

ENTRIES = 23
STRETCH = 5  # stretches 1-5, 6-10, 11-15, 16-20, 21-end


class Chain:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.board: Board = BoardFactory.build()
        with unit_of_work(sessions) as session:
            session.add(self.board)
            session.flush()
            for disclosure in DisclosureFactory.build_batch(ENTRIES, board_id=self.board.id):
                service.record(session, disclosure)

    def id_at(self, sequence: int) -> uuid.UUID:
        with unit_of_work(self.sessions) as session:
            found = session.scalar(
                select(Entry.id).where(Entry.board_id == self.board.id, Entry.sequence == sequence)
            )
        assert found is not None
        return found

    def tamper(self, *statements: Executable) -> None:
        with unit_of_work(self.sessions) as session:
            for statement in statements:
                session.execute(statement)

    def verify(self, workers: int) -> VerifyReport:
        with unit_of_work(self.sessions) as session:
            return service.verify(session, self.board.id, workers=workers, stretch=STRETCH)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chain(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Chain]:
    engine = make_engine(fresh_database_url(request.param))
    yield Chain(session_factory(engine))
    engine.dispose()


def _both(chain: Chain) -> VerifyReport:
    parallel = chain.verify(workers=2)
    assert parallel == chain.verify(workers=1)
    return parallel


class TestVerifyingInStretches:
    def test_an_intact_chain_verifies_with_every_entry_counted(self, chain: Chain) -> None:
        report = _both(chain)
        assert report.ok
        assert report.entries == ENTRIES

    def test_a_change_inside_a_stretch_is_named(self, chain: Chain) -> None:
        entry_id = chain.id_at(12)
        chain.tamper(update(Entry).where(Entry.id == entry_id).values(endpoint="GET /"))
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.entry_id, broken.broken.kind) == (
            12,
            entry_id,
            BreakKind.CHANGED,
        )

    @pytest.mark.parametrize("sequence", [10, 11, 23])
    def test_a_deleted_entry_at_a_stretch_edge_is_named(self, chain: Chain, sequence: int) -> None:
        chain.tamper(delete(Entry).where(Entry.id == chain.id_at(sequence)))
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.kind) == (sequence, BreakKind.REMOVED)

    def test_entries_swapped_across_a_stretch_edge_are_named_as_reordered(
        self, chain: Chain
    ) -> None:
        tenth, eleventh = chain.id_at(10), chain.id_at(11)
        chain.tamper(
            update(Entry).where(Entry.id == tenth).values(sequence=-10),
            update(Entry).where(Entry.id == eleventh).values(sequence=10),
            update(Entry).where(Entry.id == tenth).values(sequence=11),
        )
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.kind) == (10, BreakKind.REORDERED)

    def test_a_link_broken_at_a_stretch_edge_is_named(self, chain: Chain) -> None:
        eleventh = chain.id_at(11)
        chain.tamper(update(Entry).where(Entry.id == eleventh).values(previous_hash="0" * 64))
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.entry_id) == (11, eleventh)

    def test_an_altered_payload_is_named(self, chain: Chain) -> None:
        chain.tamper(
            update(Payload)
            .where(Payload.board_id == chain.board.id, Payload.sequence == 17)
            .values(query="x")
        )
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.kind) == (17, BreakKind.PAYLOAD_ALTERED)

    def test_a_chain_head_that_does_not_match_the_last_entry_is_named(self, chain: Chain) -> None:
        chain.tamper(
            update(ChainHead).where(ChainHead.board_id == chain.board.id).values(last_hash="1" * 64)
        )
        (broken,) = _both(chain).broken
        assert broken.broken is not None
        assert (broken.broken.sequence, broken.broken.kind, broken.broken.detail) == (
            ENTRIES,
            BreakKind.CHANGED,
            "the chain head does not match the last entry",
        )
