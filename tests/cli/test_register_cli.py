"""``koppelvlak register processing | storage`` as a DPO runs them on the demo board."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from koppelvlak.roster.demo import DEMO_BOARD_CODE
from tests.support.server import koppelvlak_env, run_cli


class TestTheRegisterCommands:
    def test_the_demo_boards_processing_register_names_its_recipients(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
        built = run_cli("demo", "--students", "40", env=env)
        assert built.returncode == 0, built.stderr
        board = DEMO_BOARD_CODE

        document = run_cli("register", "processing", "--board", board, "--format", "json", env=env)
        assert document.returncode == 0, document.stderr
        register = json.loads(document.stdout)
        assert register["board"] == board
        assert any(a["recipients"] for a in register["activities"])

        table = run_cli("register", "processing", "--board", board, env=env)
        rows = list(csv.DictReader(io.StringIO(table.stdout)))
        assert {r["purpose"] for r in rows} == {a["purpose"] for a in register["activities"]}

    def test_an_unknown_board_is_one_line(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
        assert run_cli("db", "upgrade", env=env).returncode == 0
        result = run_cli("register", "processing", "--board", "NOPE", env=env)
        assert result.returncode == 1
        assert result.stderr == "error: no board with code 'NOPE'\n"

    def test_the_storage_register_writes_html_to_a_file(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
        target = tmp_path / "storage.html"
        result = run_cli("register", "storage", "--format", "html", "-o", str(target), env=env)
        assert result.returncode == 0, result.stderr
        page = target.read_text(encoding="utf-8")
        assert '<th scope="col">birth_date</th>' in page
        assert "<td>student</td>" in page
