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

    def test_an_unknown_connection_is_one_line_of_error(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        result = run_cli("connection", "approve", "nope", "--board", "DEMO", env=env)
        assert result.returncode == 1
        assert result.stderr == (
            "error: no connection 'nope' in this board; expected an id or the app's name "
            "('koppelvlak connection list' shows them)\n"
        )

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
        lines = run_cli("provider", "list", env=env).stdout.splitlines()
        providers = [line for line in lines if not line.startswith(" ")]
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


def _student_key(env: dict[str, str], brin: str) -> str:
    """A LAS key of a student at the school, read from the demo database itself."""
    from sqlalchemy import create_engine, select

    from koppelvlak.roster.models import School, Student

    engine = create_engine(env["KOPPELVLAK_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            key = connection.scalar(
                select(Student.source_key)
                .join(School, School.id == Student.school_id)
                .where(School.brin == brin)
                .order_by(Student.source_key)
                .limit(1)
            )
    finally:
        engine.dispose()
    assert key is not None
    return str(key)


class TestNamesInsteadOfIds:
    def test_explain_takes_the_app_name_and_the_students_las_key(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        key = _student_key(env, "99XX")
        result = run_cli("release", "explain", "Leesland", key, "--board", "DEMO", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("student ")

    def test_an_unknown_las_key_says_what_was_expected(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        result = run_cli("release", "explain", "Leesland", "X999", "--board", "DEMO", env=env)
        assert result.returncode == 1
        assert result.stderr == (
            "error: 'X999' is neither an id nor the LAS key of a current student or staff "
            "member of this board\n"
        )

    def test_explain_before_the_connection_was_requested_is_refused(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        key = _student_key(env, "99XX")
        result = run_cli(
            "release", "explain", "leesland", key, "--board", "DEMO", "--at", "2020-01-01", env=env
        )
        assert result.returncode == 1
        assert result.stderr.startswith("error: connection ")
        assert result.stderr.endswith(
            "; nothing is known about it at 2020-01-01T00:00:00+00:00; expected a moment on or "
            "after its request\n"
        )

    def test_provider_list_shows_each_app_id_that_connection_request_takes(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        listed = run_cli("provider", "list", env=env).stdout.splitlines()
        app_line = next(
            line for line in listed if line.strip().startswith("app ") and "Leesland" in line
        )
        app_id = app_line.split()[1]
        by_id = run_cli(
            "connection",
            "request",
            "--board",
            "DEMO",
            "--school",
            "99YY00",
            "--app",
            app_id,
            env=env,
        )
        assert by_id.returncode == 0, by_id.stderr
        again = run_cli(
            "connection",
            "request",
            "--board",
            "DEMO",
            "--school",
            "99YY",
            "--app",
            "leesland",
            env=env,
        )
        assert again.returncode == 1
        assert again.stderr == "error: school 99YY00 has a connection to Leesland already\n"
        ambiguous = run_cli("connection", "history", "Leesland", "--board", "DEMO", env=env)
        assert ambiguous.returncode == 1
        assert ambiguous.stderr.startswith(
            "error: 'Leesland' fits 2 connections: Leesland at 99XX00 ("
        )


class TestProviderAgreements:
    def test_an_application_without_dates_is_completed_then_accredited_by_name(
        self, demo: tuple[dict[str, str], dict[str, object]]
    ) -> None:
        env, _ = demo
        applied = run_cli(
            "provider",
            "apply",
            "--name",
            "Laat B.V.",
            "--kvk",
            "87654321",
            "--contact",
            "info@laat.example",
            "--security-contact",
            "sec@laat.example",
            "--privacy-url",
            "https://laat.example/privacy",
            env=env,
        )
        assert applied.returncode == 0, applied.stderr
        refused = run_cli("provider", "accredit", "laat-b-v", env=env)
        assert refused.stderr == (
            "error: accreditation needs the privacy covenant and the processing agreement signed\n"
        )
        completed = run_cli(
            "provider",
            "agreements",
            "Laat B.V.",
            "--covenant-signed-on",
            "2025-05-01",
            "--agreement-on",
            "2025-05-02",
            env=env,
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stderr == (
            "Laat B.V.: covenant 2025-05-01, processing agreement 2025-05-02\n"
        )
        accredited = run_cli("provider", "accredit", "87654321", env=env)
        assert accredited.returncode == 0, accredited.stderr
