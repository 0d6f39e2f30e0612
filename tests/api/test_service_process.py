"""The service as an operator meets it: a real process, health checks, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.server import free_port, koppelvlak_env, run_cli, running_server


class TestReadiness:
    def test_a_migrated_database_is_ready(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        env = koppelvlak_env(fresh_database_url("sqlite"), tmp_path)
        with running_server(env) as base:
            response = httpx.get(base + "/readyz")
        assert response.status_code == 200
        assert response.json()["status"] == "ready"
        assert list(response.json()["checks"]) == ["database", "uwlr", "rate_limit_store"]

    def test_an_embedded_sqlite_database_is_created_and_migrated_on_start(
        self, tmp_path: Path
    ) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
        with running_server(env, ready_path="/readyz") as base:
            assert httpx.get(base + "/readyz").status_code == 200
        assert (tmp_path / "keys.json").exists()

    def test_an_unreachable_database_makes_readiness_answer_503(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        database = tmp_path / "gone.db"
        env = koppelvlak_env(f"sqlite:///{database}", tmp_path)
        with running_server(env) as base:
            # Make the database unreachable under the running server.
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            database.mkdir()
            response = httpx.get(base + "/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith("database unreachable: ")

    def test_missing_uwlr_files_make_readiness_answer_503_naming_them(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        empty = tmp_path / "uwlr"
        empty.mkdir()
        env = koppelvlak_env(fresh_database_url("sqlite"), tmp_path, KOPPELVLAK_UWLR_DIR=str(empty))
        with running_server(env) as base:
            response = httpx.get(base + "/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        detail = (
            f"the official UWLR 2.2 files are missing (KOPPELVLAK_UWLR_DIR={empty}): "
            "it needs wsdl/ and Schemas/ (or v2p2/ holding them); unset it to use the bundled files"
        )
        assert response.json() == {
            "type": "about:blank",
            "title": "UWLR files missing or unusable",
            "status": 503,
            "detail": detail,
            "failed": {"uwlr": detail},
        }

    def test_every_failing_check_is_named_in_one_answer(self, tmp_path: Path) -> None:
        database = tmp_path / "gone.db"
        env = koppelvlak_env(
            f"sqlite:///{database}", tmp_path, KOPPELVLAK_UWLR_DIR=str(tmp_path / "none")
        )
        with running_server(env) as base:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            database.mkdir()
            response = httpx.get(base + "/readyz")
        assert response.status_code == 503
        problem = response.json()
        assert problem["title"] == "Not ready"
        assert list(problem["failed"]) == ["database", "uwlr"]
        assert problem["failed"]["database"].startswith("database unreachable: ")
        assert problem["failed"]["uwlr"].startswith("the official UWLR 2.2 files are missing (")
        assert problem["detail"] == "; ".join(problem["failed"].values())


class TestCommandLineErrors:
    def test_an_unreachable_postgresql_server_is_one_line_and_non_zero(
        self, tmp_path: Path
    ) -> None:
        url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
        result = run_cli("db", "upgrade", env=koppelvlak_env(url, tmp_path))
        assert result.returncode == 1
        assert result.stderr.startswith("error: database unreachable: ")
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr

    def test_a_bad_setting_is_named_in_one_line(self, tmp_path: Path) -> None:
        env = koppelvlak_env("sqlite:///x.db", tmp_path, KOPPELVLAK_DIGITAL_CONSENT_AGE="old")
        result = run_cli("db", "upgrade", env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("error: bad setting: KOPPELVLAK_DIGITAL_CONSENT_AGE: ")
        assert len(result.stderr.strip().splitlines()) == 1

    def test_version_is_printed(self, tmp_path: Path) -> None:
        result = run_cli("--version", env=koppelvlak_env("sqlite:///x.db", tmp_path))
        assert result.returncode == 0
        assert result.stdout.startswith("koppelvlak ")

    def test_the_demo_refuses_to_overwrite_without_replace(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
        assert run_cli("demo", "--students", "30", env=env).returncode == 0
        again = run_cli("demo", "--students", "30", env=env)
        assert again.returncode == 1
        assert again.stderr == "error: a demo board exists already; use --replace to rebuild it\n"
        assert run_cli("demo", "--students", "30", "--replace", env=env).returncode == 0
