"""SQLite with several processes' worth of connections: who waits, who fails (ADR 0004).

Each test orders two units of work with events, so the outcome never depends on timing: one
unit holds SQLite's write lock while the other reads or wants to write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.roster import BoardFactory


@pytest.fixture
def engine(fresh_database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url("sqlite"), pool_size=4)
    yield engine
    engine.dispose()


def _boards(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Board)) or 0)


class _Writer:
    """A writing unit of work in a thread that holds the write lock until told to commit."""

    def __init__(self, sessions: sessionmaker[Session], pool: ThreadPoolExecutor) -> None:
        self.holding, self.release = threading.Event(), threading.Event()
        self.done: Future[None] = pool.submit(self._run, sessions)

    def _run(self, sessions: sessionmaker[Session]) -> None:
        with unit_of_work(sessions) as session:
            session.add(BoardFactory.build())
            session.flush()  # the INSERT takes the write lock
            self.holding.set()
            self.release.wait(timeout=30)

    def commit(self) -> None:
        self.release.set()
        self.done.result(timeout=30)


class TestWriters:
    def test_a_writing_unit_waits_for_the_lock_and_then_writes(self, engine: Engine) -> None:
        writers = session_factory(engine, write=True)
        asking = threading.Event()

        @event.listens_for(engine, "before_cursor_execute")
        def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement == "BEGIN IMMEDIATE" and threading.current_thread().name == "second":
                asking.set()

        def second() -> int:
            threading.current_thread().name = "second"
            with unit_of_work(writers) as session:
                seen = _boards(session)  # BEGIN IMMEDIATE first: it queues for the lock
                session.add(BoardFactory.build())
            return seen

        with ThreadPoolExecutor(2) as pool:
            first = _Writer(writers, pool)
            assert first.holding.wait(timeout=30)
            waiting = pool.submit(second)
            assert asking.wait(timeout=30)
            time.sleep(0.2)  # let it block inside SQLite; the outcome does not depend on this
            first.commit()
            # It read after the first writer committed: its transaction began when it got the lock.
            assert waiting.result(timeout=30) == 1
        with unit_of_work(session_factory(engine)) as session:
            assert _boards(session) == 2

    def test_a_unit_that_reads_before_it_writes_cannot_wait_without_write(
        self, engine: Engine
    ) -> None:
        # Why writers say so up front: a deferred transaction that has read cannot take the
        # write lock after another writer committed; SQLite refuses at once, busy timeout or not.
        readers_first = session_factory(engine)
        with ThreadPoolExecutor(2) as pool:
            writer = _Writer(session_factory(engine, write=True), pool)
            assert writer.holding.wait(timeout=30)
            with (  # noqa: PT012  (reading, then another commit, then writing: the order is the test)
                pytest.raises(OperationalError) as caught,
                unit_of_work(readers_first) as session,
            ):
                _boards(session)
                writer.commit()
                session.add(BoardFactory.build())
                session.flush()
        assert str(caught.value.orig) == "database is locked"


class TestReaders:
    def test_a_reader_is_not_held_up_by_a_writer_and_sees_only_committed_rows(
        self, engine: Engine
    ) -> None:
        with ThreadPoolExecutor(1) as pool:
            writer = _Writer(session_factory(engine, write=True), pool)
            assert writer.holding.wait(timeout=30)
            with unit_of_work(session_factory(engine)) as session:
                during = _boards(session)
            writer.commit()
        with unit_of_work(session_factory(engine)) as session:
            after = _boards(session)
        assert (during, after) == (0, 1)
