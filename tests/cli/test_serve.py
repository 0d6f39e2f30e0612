"""``koppelvlak serve`` as an operator runs it: logs without personal data, bounded headers.

A real server process, real requests; the captured log is what an operator's log shipper gets.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from koppelvlak.db import make_engine, session_factory, unit_of_work
from tests.support.provider_setup import add_providers
from tests.support.server import koppelvlak_env, run_cli, running_server

USERS = "/ims/oneroster/rostering/v1p2/users"
APPLICANT = {
    "name": "Familie Vries Leermiddelen",
    "kvk_number": "87654321",
    "contact_email": "j.devries@vries-leermiddelen.example",
    "security_contact_email": "veilig@vries-leermiddelen.example",
    "privacy_statement_url": "https://vries-leermiddelen.example/privacy",
}

_REFUSE_PROVIDERS = {
    "sqlite": [
        "CREATE TRIGGER refuse_providers BEFORE INSERT ON provider "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_providers() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_providers BEFORE INSERT ON provider "
        "FOR EACH ROW EXECUTE FUNCTION refuse_providers()",
    ],
}


def _make_inserts_fail(url: str, kind: str) -> None:
    """A failing SQL path with personal bound values: every provider INSERT is refused."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in _REFUSE_PROVIDERS[kind]:
                connection.execute(text(statement))
    finally:
        engine.dispose()


class TestLogsCarryNoPersonalData:
    @pytest.mark.parametrize(
        "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
    )
    def test_urls_filter_values_ids_and_bound_parameters_stay_out_of_the_log(
        self, kind: str, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        url = fresh_database_url(kind)
        env = koppelvlak_env(url, tmp_path, KOPPELVLAK_LOG_LEVEL="info")
        assert run_cli("demo", "--students", "20", env=env).returncode == 0
        engine = make_engine(url)
        try:
            with unit_of_work(session_factory(engine)) as session:
                provider = add_providers(session)[0]
        finally:
            engine.dispose()
        log = tmp_path / "server.log"
        with running_server(env, log_file=log) as base:
            token = httpx.post(
                base + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(provider["client_id"], provider["client_secret"]),
            ).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            users = httpx.get(base + USERS, headers=bearer).json()["users"]
            pseudonym = users[0]["sourcedId"]
            one = httpx.get(
                f"{base}{USERS}/{pseudonym}",
                params={"filter": "familyName='Vries'", "fields": "givenName"},
                headers=bearer,
            )
            assert one.status_code == 200
            _make_inserts_fail(url, kind)
            failed = httpx.post(base + "/onboarding/v1/applications", json=APPLICANT)
            assert failed.status_code == 500
            assert failed.json()["detail"] == "an unexpected error occurred; it was logged"
        written = log.read_text(encoding="utf-8")
        # The error was logged, by class and place...
        assert "sqlalchemy.exc." in written
        assert "exception messages are not logged" in written
        # ...and our access line names the route template, never the values.
        entries = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
        routes = {entry["route"] for entry in entries}
        assert f"{USERS}/{{sourcedId}}" in routes
        assert "/onboarding/v1/applications" in routes
        for secret in (
            pseudonym,
            "Vries",
            "87654321",
            "j.devries",
            token,
            provider["client_secret"],
            "refused by the test",
            f"GET {urlsplit(USERS).path}",  # uvicorn's own access line
        ):
            assert secret not in written, secret


class TestOversizedHeaders:
    def _raw(self, base: str, header_bytes: int) -> bytes:
        """Send a request whose one header has ``header_bytes`` bytes; return the answer."""
        parts = urlsplit(base)
        head = f"GET /healthz HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Big: ".encode()
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            try:
                sock.sendall(head)
                chunk = b"a" * 65536
                left = header_bytes
                while left > 0:
                    sock.sendall(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
                sock.sendall(b"\r\nConnection: close\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server stopped reading: what we want for an oversized head
            answer = b""
            try:
                while data := sock.recv(65536):
                    answer += data
            except ConnectionResetError:
                pass
        return answer

    def test_a_huge_header_is_refused_and_a_normal_one_answered(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        env = koppelvlak_env(fresh_database_url("sqlite"), tmp_path)
        with running_server(env) as base:
            refused = self._raw(base, 4_000_000)
            normal = self._raw(base, 8_000)
            still = httpx.get(base + "/healthz")
        assert refused.startswith(b"HTTP/1.1 400 "), refused[:100]
        assert refused.endswith(b"Invalid HTTP request received.")
        assert normal.startswith(b"HTTP/1.1 200 "), normal[:100]
        assert still.status_code == 200


class TestWorkerProcesses:
    def test_uvicorn_gives_a_slow_starting_worker_two_minutes_not_five_seconds(
        self, tmp_path: Path
    ) -> None:
        # uvicorn's own 5 s killed workers still importing the app on a loaded machine, and
        # restarted them in a loop; the supervisor reads this value from its Config.
        import uvicorn

        from koppelvlak.cli.serve import WORKER_HEALTHCHECK_SECONDS, uvicorn_options
        from koppelvlak.config import Settings
        from koppelvlak.runtime import Runtime

        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'serve.db'}", key_file=tmp_path / "keys.json"
        )
        runtime = Runtime.from_settings(settings)
        options = uvicorn_options(runtime, "127.0.0.1", 8000, workers=2)
        config = uvicorn.Config("koppelvlak.app:create_app", **options)
        runtime.engine.dispose()
        assert WORKER_HEALTHCHECK_SECONDS == 120
        assert config.timeout_worker_healthcheck == WORKER_HEALTHCHECK_SECONDS
        assert (config.workers, config.http, config.access_log) == (2, "h11", False)
