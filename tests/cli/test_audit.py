"""``koppelvlak audit verify`` as an operator runs it: a real process, one line, an exit code."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.audit import service
from koppelvlak.audit.models import Entry
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory
from tests.support.server import koppelvlak_env, run_cli


class Ledger:
    """A committed database with a few boards' chains, and the environment to reach it."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.engine = make_engine(url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.env = koppelvlak_env(url, workdir)

    def board(self, entries: int) -> Board:
        board: Board = BoardFactory.build()
        with unit_of_work(self.sessions) as session:
            session.add(board)
            session.flush()
            for disclosure in DisclosureFactory.build_batch(entries, board_id=board.id):
                service.record(session, disclosure)
        return board

    def entry_id(self, board: Board, sequence: int) -> uuid.UUID:
        with unit_of_work(self.sessions) as session:
            found = session.scalar(
                select(Entry.id).where(Entry.board_id == board.id, Entry.sequence == sequence)
            )
        assert found is not None
        return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Ledger]:
    ledger = Ledger(fresh_database_url(request.param), tmp_path)
    yield ledger
    ledger.engine.dispose()


class TestAuditVerify:
    def test_an_intact_ledger_exits_zero_with_a_one_line_summary(self, ledger: Ledger) -> None:
        ledger.board(3)
        ledger.board(2)
        result = run_cli("audit", "verify", env=ledger.env)
        assert (result.returncode, result.stdout) == (
            0,
            "ledger intact: 5 entries in 2 chains verified\n",
        )

    def test_one_board_is_verified_by_its_code(self, ledger: Ledger) -> None:
        board = ledger.board(2)
        ledger.board(4)
        result = run_cli("audit", "verify", "--board", board.code, env=ledger.env)
        assert (result.returncode, result.stdout) == (
            0,
            "ledger intact: 2 entries in 1 chain verified\n",
        )

    def test_a_changed_entry_exits_one_and_is_named(self, ledger: Ledger) -> None:
        board = ledger.board(4)
        entry_id = ledger.entry_id(board, 2)
        with unit_of_work(ledger.sessions) as session:
            session.execute(update(Entry).where(Entry.id == entry_id).values(endpoint="GET /"))
        result = run_cli("audit", "verify", env=ledger.env)
        assert (result.returncode, result.stdout) == (
            1,
            f"ledger broken: board {board.code} at sequence 2 (entry {entry_id}): "
            "changed: its content does not match its hash\n",
        )

    def test_a_deleted_entry_exits_one_and_is_named_by_its_sequence(self, ledger: Ledger) -> None:
        board = ledger.board(4)
        entry_id = ledger.entry_id(board, 3)
        with unit_of_work(ledger.sessions) as session:
            session.execute(delete(Entry).where(Entry.id == entry_id))
        result = run_cli("audit", "verify", "--board", board.code, env=ledger.env)
        assert (result.returncode, result.stdout) == (
            1,
            f"ledger broken: board {board.code} at sequence 3 (a missing entry): "
            "removed: entry 3 is missing\n",
        )

    def test_two_swapped_entries_exit_one_and_are_named(self, ledger: Ledger) -> None:
        board = ledger.board(4)
        first, second = ledger.entry_id(board, 1), ledger.entry_id(board, 2)
        with unit_of_work(ledger.sessions) as session:
            session.execute(update(Entry).where(Entry.id == first).values(sequence=-1))
            session.execute(update(Entry).where(Entry.id == second).values(sequence=1))
            session.execute(update(Entry).where(Entry.id == first).values(sequence=2))
        result = run_cli("audit", "verify", env=ledger.env)
        assert (result.returncode, result.stdout) == (
            1,
            f"ledger broken: board {board.code} at sequence 1 (entry {second}): "
            "reordered: it follows the entry now at sequence 2, not the start of the chain\n",
        )

    def test_an_unknown_board_code_is_one_line_on_stderr(self, ledger: Ledger) -> None:
        result = run_cli("audit", "verify", "--board", "NOPE", env=ledger.env)
        assert (result.returncode, result.stderr) == (1, "error: no board with code 'NOPE'\n")
