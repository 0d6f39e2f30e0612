"""``koppelvlak import oneroster`` end to end: a delta without orgs lands in the stored school."""

from __future__ import annotations

import json
from pathlib import Path

from tests.roster.oneroster_package import ROWS, write_package
from tests.support.server import koppelvlak_env, run_cli


def _delta_without_orgs(folder: Path) -> Path:
    """As real delta exports are: only changed files; orgs and the rest marked absent."""
    klass = {**ROWS["classes"][0], "sourcedId": "g2", "title": "Groep 2", "grades": "2"}
    rows = {"classes": [klass]}
    absent = {f"file.{name}": "absent" for name in ROWS if name not in rows}
    package = write_package(folder, rows, mode="delta", manifest=absent)
    for name in ROWS:
        if name not in rows:
            (package / f"{name}.csv").unlink()
    return package


class TestOneRosterDelta:
    def test_a_delta_whose_manifest_marks_orgs_absent_imports_into_the_stored_school(
        self, tmp_path: Path
    ) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
        bulk = run_cli("import", "oneroster", str(write_package(tmp_path / "bulk")), env=env)
        assert bulk.returncode == 0, bulk.stderr
        delta = run_cli(
            "import", "oneroster", str(_delta_without_orgs(tmp_path / "delta")), "--json", env=env
        )
        assert delta.returncode == 0, delta.stdout + delta.stderr
        document = json.loads(delta.stdout)
        assert document["outcome"] == "ok"
        assert document["counts"]["group"] == {"added": 1, "changed": 0, "removed": 0, "total": 2}
        assert document["counts"]["school"]["total"] == 1

    def test_a_nul_byte_in_a_field_is_refused_naming_file_line_and_field(
        self, tmp_path: Path
    ) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
        users = [{**ROWS["users"][0], "familyName": "Jan\x00sen"}, *ROWS["users"][1:]]
        package = write_package(tmp_path / "p", {"users": users})
        result = run_cli("import", "oneroster", str(package), "--json", env=env)
        assert result.returncode == 1
        assert json.loads(result.stdout) == {
            "outcome": "error",
            "error": "the field holds the control character U+0000; expected text without "
            "control characters (tab, CR and LF aside)",
            "location": "users.csv, line 2, familyName",
        }
