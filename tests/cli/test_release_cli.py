"""``koppelvlak release check | refresh | rebuild`` as an operator runs them, on a real database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from koppelvlak.db import make_engine
from tests.support.server import koppelvlak_env, run_cli


def _demo(tmp_path: Path) -> tuple[dict[str, str], str]:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    env = koppelvlak_env(url, tmp_path)
    built = run_cli("demo", "--students", "40", env=env)
    assert built.returncode == 0, built.stderr
    return env, url


class TestTheDriftCheck:
    def test_finds_no_drift_after_the_demo(self, tmp_path: Path) -> None:
        env, _url = _demo(tmp_path)
        result = run_cli("release", "check", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "no drift: every kept release equals a fresh resolve"

    def test_names_a_tampered_object_exits_1_and_rebuild_repairs_it(self, tmp_path: Path) -> None:
        env, url = _demo(tmp_path)
        engine = make_engine(url)
        with engine.begin() as connection:
            key = connection.execute(
                text("SELECT key FROM kept_object WHERE collection = 'users' LIMIT 1")
            ).scalar_one()
            connection.execute(
                text("UPDATE kept_object SET digest = 'x' WHERE key = :key"), {"key": key}
            )
        engine.dispose()

        found = run_cli("release", "check", env=env)
        assert found.returncode == 1
        assert f" users {key}: differs" in found.stdout
        assert "differences between the kept and the resolved releases" in found.stderr

        repaired = run_cli("release", "rebuild", env=env)
        assert repaired.returncode == 0, repaired.stderr
        assert repaired.stdout.startswith("rebuilt ")
        assert run_cli("release", "check", env=env).returncode == 0

    def test_refresh_reports_what_it_did(self, tmp_path: Path) -> None:
        env, _url = _demo(tmp_path)
        result = run_cli("release", "refresh", "--board", "DEMO", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("refreshed ")
        assert "0 changed" in result.stdout  # nothing on the calendar moved since the demo
