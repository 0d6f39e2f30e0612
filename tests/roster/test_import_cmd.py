"""``koppelvlak import`` as a school admin meets it: one JSON object, one-line errors, history."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from koppelvlak.db import make_engine, session_factory
from koppelvlak.roster.models import ImportRun, Student
from tests.roster.conftest import CATALYST, STUDENTS, uwlr
from tests.roster.oneroster_package import write_package
from tests.support.server import koppelvlak_env, run_cli


@pytest.fixture
def env(fresh_database_url: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return koppelvlak_env(fresh_database_url("sqlite"), tmp_path)


def history(env: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    engine = make_engine(env["KOPPELVLAK_DATABASE_URL"])
    with session_factory(engine)() as session:
        runs = session.execute(
            select(ImportRun.outcome, ImportRun.error, ImportRun.location).order_by(
                ImportRun.started_at
            )
        ).all()
        students = session.scalars(select(Student.source_key).order_by(Student.source_key)).all()
    engine.dispose()
    return [(outcome.value, error, location) for outcome, error, location in runs] + [
        ("students", ",".join(students), None)
    ]


class TestJsonOutput:
    def test_success_is_exactly_one_json_object_with_counts_per_kind(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        (tmp_path / "school.xml").write_bytes(uwlr())
        result = run_cli(
            "import",
            "uwlr",
            str(tmp_path / "school.xml"),
            "--board",
            "B1",
            "--json",
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document == {
            "outcome": "ok",
            "source": str(tmp_path / "school.xml"),
            "counts": {
                "school": {"added": 1, "changed": 0, "removed": 0, "total": 1},
                "group": {"added": 2, "changed": 0, "removed": 0, "total": 2},
                "student": {"added": 2, "changed": 0, "removed": 0, "total": 2},
                "staff": {"added": 1, "changed": 0, "removed": 0, "total": 1},
                "guardian": {"added": 0, "changed": 0, "removed": 0, "total": 0},
                "membership": {"added": 4, "changed": 0, "removed": 0, "total": 4},
            },
            "warnings": [],
        }

    def test_a_refused_import_is_one_json_object_a_non_zero_exit_and_a_history_row(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        (tmp_path / "school.xml").write_bytes(
            uwlr(students=STUDENTS.replace("2019-03-04", "2023-02-30"))
        )
        result = run_cli(
            "import", "uwlr", str(tmp_path / "school.xml"), "--json", env=env, cwd=tmp_path
        )
        assert result.returncode == 1
        assert json.loads(result.stdout) == {
            "outcome": "error",
            "error": "<geboortedatum> '2023-02-30' is not a valid date (no such day); expected "
            "YYYY-MM-DD",
            "location": "school.xml, line 2, leerlingen/leerling[@key='000121']/geboortedatum",
        }
        assert "Traceback" not in result.stderr
        assert history(env) == [
            (
                "error",
                "<geboortedatum> '2023-02-30' is not a valid date (no such day); expected "
                "YYYY-MM-DD",
                "school.xml, line 2, leerlingen/leerling[@key='000121']/geboortedatum",
            ),
            ("students", "", None),
        ]


class TestPlainOutput:
    def test_a_summary_table_and_the_warnings_are_printed(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        data = uwlr(
            students=STUDENTS.replace(
                "<le:roepnaam>Sem</le:roepnaam>", "<le:roepnaam>Sem</le:roepnaam><le:voorvoegsel/>"
            )
        )
        (tmp_path / "school.xml").write_bytes(data)
        result = run_cli("import", "uwlr", "school.xml", "--board", "B1", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "│ student    │     2 │       0 │       0 │     2 │" in result.stdout
        assert "empty <voorvoegsel/> ignored" in result.stdout

    def test_an_error_is_one_line_without_a_traceback(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        (tmp_path / "school.xml").write_bytes(
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x/>'
        )
        result = run_cli("import", "uwlr", "school.xml", env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == (
            "error: school.xml, line 1: a DOCTYPE or entity declaration is not allowed; expected "
            "plain UWLR XML without one\n"
        )
        assert result.stdout == ""

    def test_importing_the_same_file_again_reports_no_changes(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        (tmp_path / "school.xml").write_bytes(uwlr())
        for _ in range(2):
            result = run_cli(
                "import", "uwlr", "school.xml", "--board", "B1", "--json", env=env, cwd=tmp_path
            )
        counts = json.loads(result.stdout)["counts"]
        changed = {kind: (c["added"], c["changed"], c["removed"]) for kind, c in counts.items()}
        assert changed == dict.fromkeys(counts, (0, 0, 0))
        assert [row[0] for row in history(env)] == ["ok", "ok", "students"]

    def test_the_same_bytes_again_say_unchanged_and_repeat_the_warnings(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        empty = "<le:roepnaam>Sem</le:roepnaam><le:voorvoegsel/>"
        data = uwlr(students=STUDENTS.replace("<le:roepnaam>Sem</le:roepnaam>", empty))
        (tmp_path / "school.xml").write_bytes(data)
        for _ in range(2):
            result = run_cli("import", "uwlr", "school.xml", "--board", "B1", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Unchanged school.xml ")
        assert "The same bytes as this school's last import: not read again" in result.stdout
        assert "│ student    │     0 │       0 │       0 │     2 │" in result.stdout
        assert "empty <voorvoegsel/> ignored" in result.stdout

    def test_help_lists_the_board_and_json_options(self, env: dict[str, str]) -> None:
        result = run_cli("import", "uwlr", "--help", env=env)
        assert result.returncode == 0
        assert "--board" in result.stdout
        assert "--json" in result.stdout


class TestOneRosterCommand:
    def test_a_package_folder_imports_and_names_its_board_itself(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        package = write_package(tmp_path / "package")
        result = run_cli("import", "oneroster", str(package), "--json", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["outcome"] == "ok"
        assert document["counts"]["guardian"] == {
            "added": 1,
            "changed": 0,
            "removed": 0,
            "total": 1,
        }

    def test_the_catalyst_sample_is_refused_in_a_few_lines(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        result = run_cli("import", "oneroster", str(CATALYST), env=env, cwd=tmp_path)
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert lines[0] == "error: the import was refused; nothing changed:"
        assert lines[1] == (
            "  manifest.csv, line 21: file.scoreScales is ''; expected bulk, delta or absent"
        )
        assert lines[-1] == "  and 10 more"
        assert len(lines) == 10
