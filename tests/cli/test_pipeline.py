"""The import pipeline: a file byte-identical to the one a school's last sync read is not parsed.

In-process, so a test can hand the pipeline a parse step that records whether it was entered;
the command line itself is covered in tests/roster/test_import_cmd.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from koppelvlak.cli.pipeline import run_import
from koppelvlak.config import get_settings
from koppelvlak.db import make_engine, session_factory
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr import file_fingerprint, parse_uwlr
from koppelvlak.roster.models import ImportOutcome, ImportRun, RosterChange, Student
from tests.roster.conftest import STUDENTS, TODAY, uwlr


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    url = fresh_database_url(request.param)
    monkeypatch.setenv("KOPPELVLAK_DATABASE_URL", url)
    monkeypatch.setenv("KOPPELVLAK_KEY_FILE", str(tmp_path / "keys.json"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


class Import:
    """``koppelvlak import uwlr`` as the command wires it, counting the parses it starts."""

    def __init__(self, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.path, self.capsys, self.parsed = path, capsys, 0

    def __call__(self, data: bytes, board: str | None = "B1") -> dict[str, object]:
        self.path.write_bytes(data)

        def parse(progress: Callable[[int], None]) -> Snapshot:
            self.parsed += 1
            return parse_uwlr(self.path, today=TODAY, progress=progress)

        self.capsys.readouterr()
        run_import(
            "uwlr",
            str(self.path),
            parse,
            board=board,
            as_json=True,
            total=None,
            fingerprint=lambda: file_fingerprint(self.path),
        )
        document: dict[str, object] = json.loads(self.capsys.readouterr().out)
        return document


@pytest.fixture
def run(database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Import:
    return Import(tmp_path / "school.xml", capsys)


def runs(url: str) -> list[tuple[ImportOutcome, int]]:
    """Every import run with the number of change-log rows it wrote, oldest first."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        found = [
            (
                run.outcome,
                len(session.scalars(select(RosterChange.id).filter_by(import_run_id=run.id)).all()),
            )
            for run in session.scalars(select(ImportRun).order_by(ImportRun.started_at))
        ]
    engine.dispose()
    return found


def family_names(url: str) -> list[str]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        names = session.scalars(select(Student.family_name).order_by(Student.source_key)).all()
    engine.dispose()
    return [name or "" for name in names]


RENAMED = STUDENTS.replace(">Jansen<", ">Janssen<")


class TestUnchangedFileIsNotParsed:
    def test_a_re_sync_of_identical_bytes_never_enters_the_parser(self, run: Import) -> None:
        first = run(uwlr())
        again = run(uwlr())
        assert run.parsed == 1
        assert again["unchanged"] is True
        assert "unchanged" not in first
        assert again["counts"] == {
            kind: {**numbers, "added": 0, "changed": 0, "removed": 0}  # type: ignore[dict-item]
            for kind, numbers in first["counts"].items()  # type: ignore[attr-defined]
        }

    def test_the_skipped_run_is_in_the_history_with_no_changes(
        self, run: Import, database: str
    ) -> None:
        run(uwlr())
        run(uwlr())
        assert runs(database)[1:] == [(ImportOutcome.OK, 0)]

    def test_the_warnings_of_the_file_are_repeated(self, run: Import) -> None:
        stray = STUDENTS.replace("<le:roepnaam>", "<le:onbekend>x</le:onbekend><le:roepnaam>", 1)
        first = run(uwlr(students=stray))
        again = run(uwlr(students=stray))
        assert run.parsed == 1
        assert first["warnings"]
        assert again["warnings"] == first["warnings"]

    def test_one_changed_byte_is_parsed_and_applied(self, run: Import, database: str) -> None:
        run(uwlr())
        changed = run(uwlr(students=RENAMED))
        assert run.parsed == 2
        assert "unchanged" not in changed
        assert changed["counts"]["student"]["changed"] == 1  # type: ignore[index]
        assert "Janssen" in family_names(database)

    def test_the_first_file_again_after_another_is_parsed_and_applied(
        self, run: Import, database: str
    ) -> None:
        run(uwlr())
        run(uwlr(students=RENAMED))
        back = run(uwlr())
        assert run.parsed == 3
        assert back["counts"]["student"]["changed"] == 1  # type: ignore[index]
        assert "Janssen" not in family_names(database)

    def test_rows_edited_since_the_last_sync_make_the_same_file_parse_and_apply(
        self, run: Import, database: str
    ) -> None:
        run(uwlr())
        engine = make_engine(database)
        with session_factory(engine)() as session, session.begin():
            student = session.scalars(select(Student).filter_by(family_name="Jansen")).one()
            student.family_name = "Edited"
        engine.dispose()
        again = run(uwlr())
        assert run.parsed == 2
        assert again["counts"]["student"]["changed"] == 1  # type: ignore[index]
        assert "Edited" not in family_names(database)

    def test_another_board_is_not_the_school_s_board_so_the_file_is_parsed(
        self, run: Import
    ) -> None:
        run(uwlr(), board="B1")
        other = run(uwlr(), board="B2")
        assert run.parsed == 2
        assert other["counts"]["student"]["added"] == 2  # type: ignore[index]

    def test_without_a_board_the_school_s_only_board_is_the_one_matched(self, run: Import) -> None:
        run(uwlr(), board="B1")
        again = run(uwlr(), board=None)
        assert (run.parsed, again["unchanged"]) == (1, True)

    def test_the_same_bytes_under_another_name_are_parsed(
        self, run: Import, tmp_path: Path
    ) -> None:
        """Warnings and errors quote the file name, so the name is part of the fingerprint."""
        run(uwlr())
        run.path = tmp_path / "renamed.xml"
        renamed = run(uwlr())
        assert run.parsed == 2
        assert "unchanged" not in renamed


class TestFingerprintBeforeParsing:
    def test_it_is_what_the_parsed_snapshot_carries(self, tmp_path: Path) -> None:
        path = tmp_path / "school.xml"
        path.write_bytes(uwlr(envelope=True))
        (school,) = parse_uwlr(path, today=TODAY).schools
        assert school.fingerprint == file_fingerprint(path)

    def test_an_unreadable_file_has_none_and_is_left_to_the_parse(self, tmp_path: Path) -> None:
        assert file_fingerprint(tmp_path / "missing.xml") is None
