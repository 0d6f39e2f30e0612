"""``koppelvlak demo`` as ``make run`` and an operator use it: it never destroys data by surprise.

Each test runs the real command against a committed database: an existing board is kept or
replaced only when asked, and a board whose ledger has entries is not wiped without
``--discard-ledger``; what a replacement removed is reported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.accounts.demo import demo_logins
from koppelvlak.audit import service
from koppelvlak.audit.models import Entry
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.roster.demo import find_demo_board
from koppelvlak.roster.models import Student
from tests.factories.audit import DisclosureFactory
from tests.support.server import koppelvlak_env, run_cli


class Database:
    """A committed, migrated database and the environment of a command that uses it."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.engine = make_engine(url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.env = koppelvlak_env(url, workdir)

    def demo(self, *args: str, students: int = 30) -> tuple[int, str, str]:
        result = run_cli("demo", "--students", str(students), *args, env=self.env)
        return result.returncode, result.stdout, result.stderr

    def board(self) -> uuid.UUID | None:
        with unit_of_work(self.sessions) as session:
            return find_demo_board(session)

    def students(self) -> int:
        with unit_of_work(self.sessions) as session:
            return session.scalar(select(func.count()).select_from(Student)) or 0

    def ledger(self) -> int:
        with unit_of_work(self.sessions) as session:
            return session.scalar(select(func.count()).select_from(Entry)) or 0

    def disclose(self, entries: int) -> None:
        """Record disclosures on the demo board's ledger, as the provider APIs would."""
        board = self.board()
        assert board is not None
        with unit_of_work(self.sessions) as session:
            for disclosure in DisclosureFactory.build_batch(entries, board_id=board):
                service.record(session, disclosure)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Database]:
    database = Database(fresh_database_url(request.param), tmp_path)
    yield database
    database.engine.dispose()


class TestKeepExisting:
    def test_it_builds_a_board_when_there_is_none(self, database: Database) -> None:
        code, _out, err = database.demo("--keep-existing")
        assert (code, database.students()) == (0, 30), err
        assert "demo credentials" in err

    def test_it_keeps_an_existing_board_and_changes_nothing(self, database: Database) -> None:
        assert database.demo()[0] == 0
        board = database.board()
        database.disclose(2)
        code, out, err = database.demo("--keep-existing", "--json", students=50)
        assert code == 0, err
        assert (database.board(), database.students(), database.ledger()) == (board, 30, 2)
        kept = json.loads(out)
        assert kept["board"] == {"id": str(board)}
        assert (kept["kept"]["student"], kept["kept"]["audit_entry"]) == (30, 2)

    def test_it_says_the_board_was_kept(self, database: Database) -> None:
        assert database.demo()[0] == 0
        code, _out, err = database.demo("--keep-existing")
        assert code == 0
        assert err.splitlines() == [
            f"kept the existing demo board {database.board()} (30 students); "
            "rebuild it with `koppelvlak demo --replace`",
            "its demo credentials are unchanged: those printed when it was built",
            "  web login (admin): board DEMO  e-mail admin@demo.example  password "
            f"{demo_logins('DEMO', 7)[0].password}  (when built with --seed 7)",
        ]


class TestReplace:
    def test_without_replace_an_existing_board_is_refused(self, database: Database) -> None:
        assert database.demo()[0] == 0
        code, _out, err = database.demo()
        assert (code, err) == (
            1,
            "error: a demo board exists already; use --replace to rebuild it\n",
        )

    def test_a_board_whose_ledger_has_entries_is_not_wiped(self, database: Database) -> None:
        assert database.demo()[0] == 0
        board = database.board()
        database.disclose(3)
        code, _out, err = database.demo("--replace")
        assert (code, err) == (
            1,
            "error: the demo board's disclosure ledger holds 3 entries; --replace would erase "
            "them. Add --discard-ledger to rebuild anyway\n",
        )
        assert (database.board(), database.students(), database.ledger()) == (board, 30, 3)

    def test_discard_ledger_wipes_it_and_says_what_it_removed(self, database: Database) -> None:
        assert database.demo()[0] == 0
        database.disclose(1)
        code, out, err = database.demo("--replace", "--discard-ledger", "--json")
        assert code == 0, err
        removed = json.loads(out)["removed"]
        assert (removed["audit_entry"], removed["student"], removed["board"]) == (1, 30, 1)
        assert database.ledger() == 0

    def test_a_replacement_reports_the_removed_rows_in_words(self, database: Database) -> None:
        assert database.demo()[0] == 0
        code, _out, err = database.demo("--replace")
        assert code == 0, err
        lines = err.splitlines()
        start = lines.index("removed the previous demo board:") + 1
        end = next(i for i, line in enumerate(lines) if line.startswith("demo board "))
        removed = dict(line.split() for line in lines[start:end])
        assert (removed["student"], removed["board"], removed["school"]) == ("30", "1", "2")
        assert database.students() == 30


class TestContradictions:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ("--replace", "--keep-existing"),
                "error: --replace and --keep-existing contradict each other; choose one\n",
            ),
            (("--discard-ledger",), "error: --discard-ledger only goes with --replace\n"),
        ],
    )
    def test_options_that_contradict_are_refused_before_anything_changes(
        self, database: Database, args: tuple[str, ...], message: str
    ) -> None:
        code, _out, err = database.demo(*args)
        assert (code, err) == (1, message)
        assert database.board() is None
