"""The quick walk of verification judges plain intact entries only and stops at anything else,
on SQLite and on PostgreSQL alike.

It must never pass a row ``ledger.verify_chain`` would fail: it stops at the first row it
cannot vouch for, and the full walk takes over from there (tests/integration/audit/
test_parallel.py and test_service.py check what is then reported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.audit import chain_reads, quick_walk, service
from koppelvlak.audit.ledger import GENESIS
from koppelvlak.audit.models import Entry, Payload
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

ENTRIES = 12


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_database_url(request.param))
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def board(sessions: sessionmaker[Session]) -> Board:
    board: Board = BoardFactory.build()
    with unit_of_work(sessions) as session:
        session.add(board)
        session.flush()
        for disclosure in DisclosureFactory.build_batch(ENTRIES, board_id=board.id):
            service.record(session, disclosure)
    return board


def walk(sessions: sessionmaker[Session], board: Board, first: int = 1) -> quick_walk.Walked:
    with unit_of_work(sessions) as session:
        keys = chain_reads.verification_keys(session, board.id)
        previous = GENESIS if first == 1 else None
        return quick_walk.quick_walk(
            session, board.id, keys, first=first, last=None, previous=previous
        )


def tamper(sessions: sessionmaker[Session], statement: object) -> None:
    with unit_of_work(sessions) as session:
        session.execute(statement)  # type: ignore[call-overload]


class TestQuickWalk:
    def test_an_intact_chain_is_walked_to_its_end(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        walked = walk(sessions, board)
        assert (walked.entries, walked.resume, walked.first_previous) == (ENTRIES, None, GENESIS)

    def test_a_stretch_takes_its_first_link_as_given(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        walked = walk(sessions, board, first=5)
        assert (walked.entries, walked.resume) == (ENTRIES - 4, None)
        assert walked.first_previous not in (None, GENESIS)

    def test_it_stops_at_a_changed_entry(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        tamper(
            sessions,
            update(Entry).where(Entry.sequence == 7).values(endpoint="/somewhere/else"),
        )
        assert walk(sessions, board).resume == 7

    def test_it_stops_at_an_altered_payload(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        tamper(sessions, update(Payload).where(Payload.sequence == 4).values(query="altered"))
        assert walk(sessions, board).resume == 4

    def test_it_stops_at_a_gap(self, sessions: sessionmaker[Session], board: Board) -> None:
        tamper(sessions, update(Entry).where(Entry.sequence == 9).values(sequence=99))
        assert walk(sessions, board).resume == 9

    def test_a_forgotten_payload_is_counted_and_passed(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        tamper(
            sessions,
            update(Payload)
            .where(Payload.sequence == 3)
            .values(salt=None, query=None, attribute_ids=None, people=None),
        )
        walked = walk(sessions, board)
        assert (walked.entries, walked.erased_payloads, walked.resume) == (ENTRIES, 1, None)

    def test_it_stops_at_an_entry_whose_payload_row_is_missing(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        tamper(sessions, delete(Payload).where(Payload.sequence == 5))
        assert walk(sessions, board).resume == 5

    def test_it_stops_at_the_last_entry_when_its_payload_row_is_missing(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        tamper(sessions, delete(Payload).where(Payload.sequence == ENTRIES))
        assert walk(sessions, board).resume == ENTRIES


class TestRowOrder:
    """SQLite reads a chain in rowid order when it fills its rowids; order is still checked."""

    def test_a_row_rewritten_out_of_rowid_order_is_handed_over_and_the_chain_verifies(
        self, sessions: sessionmaker[Session], board: Board
    ) -> None:
        with unit_of_work(sessions) as session:
            where = (Entry.board_id == board.id, Entry.sequence == 5)
            entry = session.execute(select(Entry.__table__).where(*where)).one()._asdict()
            payload = (
                session.execute(
                    select(Payload.__table__).where(
                        Payload.board_id == board.id, Payload.sequence == 5
                    )
                )
                .one()
                ._asdict()
            )
            session.execute(
                delete(Payload).where(Payload.board_id == board.id, Payload.sequence == 5)
            )
            session.execute(delete(Entry).where(*where))
            session.execute(insert(Entry), [entry])  # a new rowid, after entry 12's
            session.execute(insert(Payload), [payload])
        by_rowid = sessions.kw["bind"].dialect.name == "sqlite"
        # Read by rowid, entry 5 now comes last: the quick walk stops where it is missing.
        assert walk(sessions, board).resume == (5 if by_rowid else None)
        with unit_of_work(sessions) as session:
            report = service.verify(session, board.id)
        assert (report.ok, report.entries) == (True, ENTRIES)
