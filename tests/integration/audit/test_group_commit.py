"""Group commit: requests waiting behind a leader share one transaction, and share its fate.

Real databases, real threads. To make a batch form deterministically, a test holds the chain
lock from outside (SQLite: the database write lock; PostgreSQL: the head row) while a leader
waits for it, queues more requests behind the leader, and then lets go.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, func, select, text

from koppelvlak.audit import service
from koppelvlak.audit.errors import LedgerUnavailable
from koppelvlak.audit.group_commit import GroupCommit
from koppelvlak.audit.models import Entry
from koppelvlak.audit.values import Disclosure, LedgerReceipt
from koppelvlak.audit.writer_turn import FileTurn, NoTurn, writer_turn
from koppelvlak.db import WRITE_OPTION, make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

POISON = "GET /poison"  # the endpoint a trigger refuses to record


def _until(condition: Callable[[], bool], what: str) -> None:
    """Synchronisation, not a timing assertion: wait for the other threads to get there."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


@contextmanager
def _chain_lock_held(engine: Engine, board_id: uuid.UUID) -> Iterator[None]:
    """Hold the board's chain lock from another connection until the block ends."""
    writer = engine.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
    with writer.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT 1 FROM audit_chain WHERE board_id = :b FOR UPDATE"), {"b": board_id}
            )
        yield


def _poison_trigger(engine: Engine) -> list[str]:
    if engine.dialect.name == "sqlite":
        return [
            "CREATE TRIGGER poison BEFORE INSERT ON audit_entry "
            f"WHEN NEW.endpoint = '{POISON}' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        ]
    return [
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.endpoint = '{POISON}' THEN RAISE EXCEPTION 'poisoned'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER poison BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION poison()",
    ]


class Ledger:
    """One database, one board, the process's appender and a session to prepare in."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=12)
        self.sessions = session_factory(self.engine)
        self.board: Board = BoardFactory.build()
        with unit_of_work(self.sessions) as session:
            session.add(self.board)
        self.appender = GroupCommit(self.engine)
        self.pool = ThreadPoolExecutor(8)

    def disclosure(self, **fields: object) -> Disclosure:
        built: Disclosure = DisclosureFactory.build(board_id=self.board.id, **fields)
        return built

    def append(self, disclosure: Disclosure) -> list[LedgerReceipt]:
        with unit_of_work(self.sessions) as session:
            prepared = service.prepare(session, [disclosure])
        return self.appender.append(prepared)

    def submit(self, disclosure: Disclosure) -> Future[list[LedgerReceipt]]:
        return self.pool.submit(self.append, disclosure)

    def entries(self) -> int:
        with unit_of_work(self.sessions) as session:
            return int(session.scalar(select(func.count()).select_from(Entry)) or 0)

    def verifies(self) -> bool:
        with unit_of_work(self.sessions) as session:
            return service.verify(session).ok

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Ledger]:
    made = Ledger(fresh_database_url(request.param))
    made.append(made.disclosure())  # the chain head exists (PostgreSQL's lock needs the row)
    yield made
    made.close()


def _queue_behind_a_leader(ledger: Ledger, followers: list[Disclosure]) -> tuple[
    Future[list[LedgerReceipt]], list[Future[list[LedgerReceipt]]], int
]:  # fmt: skip
    """A leader waits for the held lock; the followers queue behind it. Returns the futures
    and the batch count before; the caller releases the lock."""
    before = ledger.appender.batches(ledger.board.id)
    leader = ledger.submit(ledger.disclosure())
    _until(lambda: ledger.appender.busy(ledger.board.id), "the leader took its batch")
    queued = [ledger.submit(d) for d in followers]
    _until(lambda: ledger.appender.waiting(ledger.board.id) == len(followers), "all queued")
    return leader, queued, before


class TestBatching:
    def test_a_lone_request_commits_at_once(self, ledger: Ledger) -> None:
        (receipt,) = ledger.append(ledger.disclosure())
        assert receipt.sequence == 2
        assert ledger.entries() == 2  # committed: another connection sees it
        assert ledger.verifies()

    def test_requests_that_wait_behind_a_leader_share_the_next_transaction(
        self, ledger: Ledger
    ) -> None:
        with _chain_lock_held(ledger.engine, ledger.board.id):
            leader, queued, before = _queue_behind_a_leader(
                ledger, [ledger.disclosure() for _ in range(3)]
            )
        (first,) = leader.result()
        shared = [future.result()[0] for future in queued]
        assert first.sequence == 2
        assert sorted(r.sequence for r in shared) == [3, 4, 5]
        assert len({r.recorded_at for r in shared}) == 1  # one transaction, one time
        assert ledger.appender.batches(ledger.board.id) == before + 2
        assert ledger.verifies()

    def test_one_request_with_several_entries_gets_them_all(self, ledger: Ledger) -> None:
        with unit_of_work(ledger.sessions) as session:
            prepared = service.prepare(session, [ledger.disclosure() for _ in range(3)])
        receipts = ledger.appender.append(prepared)
        assert [r.entry_id for r in receipts] == [p.entry_id for p in prepared]
        assert [r.sequence for r in receipts] == [2, 3, 4]


class TestFailClosed:
    def test_a_failed_batch_fails_every_request_in_it_and_stores_none_of_them(
        self, ledger: Ledger
    ) -> None:
        with unit_of_work(ledger.sessions) as session:
            for statement in _poison_trigger(ledger.engine):
                session.execute(text(statement))
        followers = [
            ledger.disclosure(),
            ledger.disclosure(endpoint=POISON),
            ledger.disclosure(),
        ]
        with _chain_lock_held(ledger.engine, ledger.board.id):
            leader, queued, _ = _queue_behind_a_leader(ledger, followers)
        assert leader.result()[0].sequence == 2  # its own transaction, before the batch
        for future in queued:
            with pytest.raises(LedgerUnavailable) as raised:
                future.result()
            assert "poisoned" in raised.value.reason
        assert ledger.entries() == 2
        assert ledger.verifies()
        (after,) = ledger.append(ledger.disclosure())  # the queue goes on
        assert after.sequence == 3

    def test_a_ledger_that_cannot_be_written_fails_a_lone_request(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerUnavailable) as raised:
            ledger.append(DisclosureFactory.build(board_id=uuid.uuid4()))  # no such board
        assert raised.value.status == 503
        assert ledger.entries() == 1


class TestConcurrency:
    def test_two_processes_worth_of_appenders_leave_a_gapless_valid_chain(
        self, ledger: Ledger
    ) -> None:
        # Two appenders on two engines stand for two worker processes: their batches
        # compete for the database's lock, each one's requests share transactions.
        other_engine = make_engine(ledger.url)
        appenders = [ledger.appender, GroupCommit(other_engine)]
        start = threading.Barrier(8)

        def client(number: int) -> list[int]:
            start.wait()
            sequences = []
            for _ in range(10):
                with unit_of_work(ledger.sessions) as session:
                    prepared = service.prepare(session, [ledger.disclosure()])
                (receipt,) = appenders[number % 2].append(prepared)
                sequences.append(receipt.sequence)
            return sequences

        with ThreadPoolExecutor(8) as pool:
            seen = [s for done in pool.map(client, range(8)) for s in done]
        other_engine.dispose()
        assert sorted(seen) == list(range(2, 82))
        assert ledger.entries() == 81
        assert ledger.verifies()


class TestTheWritersTurn:
    def test_on_a_sqlite_file_the_leaders_take_turns_on_a_lock_file(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        import fcntl
        import os

        engine = make_engine(fresh_database_url("sqlite"))
        try:
            turn = writer_turn(engine)
            assert isinstance(turn, FileTurn)
            assert turn.path == os.path.abspath(str(engine.url.database)) + "-ledger.lock"
            with turn:  # another process's descriptor cannot take it meanwhile
                other = os.open(turn.path, os.O_RDWR)
                try:
                    with pytest.raises(BlockingIOError):
                        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                finally:
                    os.close(other)
            other = os.open(turn.path, os.O_RDWR)
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the batch
            finally:
                os.close(other)
        finally:
            engine.dispose()

    @pytest.mark.postgres
    def test_postgresql_takes_no_turn(self, fresh_database_url: Callable[[str], str]) -> None:
        engine = make_engine(fresh_database_url("postgresql"))
        try:
            assert isinstance(writer_turn(engine), NoTurn)
        finally:
            engine.dispose()
