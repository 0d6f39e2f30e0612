"""Several processes' worth of connections append at once: each board's chain stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from koppelvlak.audit import service
from koppelvlak.audit.models import Entry
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

WRITERS = 6
APPENDS = 12


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
class TestConcurrentAppends:
    def test_concurrent_writers_leave_a_gapless_valid_chain_per_board(
        self, kind: str, fresh_database_url: Callable[[str], str]
    ) -> None:
        engine = make_engine(fresh_database_url(kind), pool_size=WRITERS)
        sessions = session_factory(engine)
        boards: list[Board] = BoardFactory.build_batch(2)
        with unit_of_work(sessions) as session:
            session.add_all(boards)
        start = threading.Barrier(WRITERS)

        def writer(number: int) -> None:
            start.wait()
            for append in range(APPENDS):
                board = boards[(number + append) % 2]
                with unit_of_work(sessions) as session:
                    service.record(session, DisclosureFactory.build(board_id=board.id))

        with ThreadPoolExecutor(WRITERS) as pool:
            for done in [pool.submit(writer, number) for number in range(WRITERS)]:
                done.result()

        with unit_of_work(sessions) as session:
            report = service.verify(session)
            sequences = {
                board.id: list(
                    session.scalars(
                        select(Entry.sequence)
                        .where(Entry.board_id == board.id)
                        .order_by(Entry.sequence)
                    )
                )
                for board in boards
            }
        engine.dispose()
        assert report.ok, report.broken
        per_board = WRITERS * APPENDS // 2
        assert sequences == {board.id: list(range(1, per_board + 1)) for board in boards}
