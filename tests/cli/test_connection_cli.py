"""The provider, connection and release commands on a demo database: one-line answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.server import koppelvlak_env, run_cli


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, str], dict[str, object]]:
    folder: Path = tmp_path_factory.mktemp("cli")
    env = koppelvlak_env(f"sqlite:///{folder / 'd.db'}", folder)
    result = run_cli("demo", "--students", "120", "--json", env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return env, document


class TestConnectionCommands:
    def test_list_shows_the_four_demo_connections(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        result = run_cli("connection", "list", "--board", "DEMO", env=env)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert sorted(line.split()[3] for line in lines) == [
            "Doorstroomtoets",
            "HuiswerkHulp",
            "Klaslokaal",
            "Leesland",
        ]
        assert all(line.split()[1] == "active" for line in lines)

    def test_a_bad_id_is_one_line_of_error(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        result = run_cli("connection", "approve", "nope", "--board", "DEMO", env=env)
        assert result.returncode == 1
        assert result.stderr == "error: 'nope' is not a connection id\n"

    def test_an_unknown_board_is_named(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        result = run_cli("connection", "list", "--board", "NOPE", env=env)
        assert result.returncode == 1
        assert result.stderr == "error: no board with code 'NOPE'\n"

    def test_suspending_then_explaining_says_connection_inactive(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        listed = run_cli("connection", "list", "--board", "DEMO", env=env).stdout
        leesland = next(line.split()[0] for line in listed.splitlines() if "Leesland" in line)
        suspended = run_cli(
            "connection", "suspend", leesland, "--board", "DEMO", "--reason", "check", env=env
        )
        assert suspended.returncode == 0, suspended.stderr
        history = run_cli("connection", "history", leesland, "--board", "DEMO", env=env).stdout
        assert "suspend" in history
        assert "(check)" in history
        resumed = run_cli("connection", "resume", leesland, "--board", "DEMO", env=env)
        assert resumed.returncode == 0, resumed.stderr


class TestDatasetCommands:
    def test_a_never_shareable_attribute_is_refused(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        providers = run_cli("provider", "list", env=env).stdout.splitlines()
        assert len(providers) == 4
        provider_id = providers[0].split()[0]
        app = run_cli("provider", "app-add", provider_id, "Extra", env=env)
        assert app.returncode == 0, app.stderr
        result = run_cli(
            "dataset",
            "propose",
            app.stdout.strip(),
            "--attribute",
            "student.bsn",
            "--purpose",
            "learning_materials",
            "--entity",
            "students",
            env=env,
        )
        assert result.returncode == 1
        assert result.stderr == "error: attribute(s) never shareable: student.bsn\n"
