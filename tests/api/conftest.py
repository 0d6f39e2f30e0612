"""API test fixtures.

``api``: an in-process app on a committed database of each kind, for the admin and onboarding
APIs. ``deployment`` / ``own_deployment``: a live provider API — a migrated database with the demo
board and providers, and a real server process. Every HTTP response in the OneRoster tests goes
through ``tests.support.oneroster_client.validate`` (the official OneRoster document for OneRoster
paths, our committed OpenAPI for the rest).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.kit.clock import utcnow
from koppelvlak.release import kept
from koppelvlak.runtime import Runtime
from tests.support.oneroster_client import checked_client
from tests.support.provider_setup import add_providers
from tests.support.server import koppelvlak_env, run_cli, running_server


@dataclass
class Api:
    client: TestClient
    runtime: Runtime


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    """One committed database per module and kind; each test makes its own board and provider."""
    key_file = tmp_path_factory.mktemp("keys") / "k.json"
    settings = Settings(
        database_url=fresh_database_url(request.param),
        key_file=key_file,
        # Every test of a module applies from the same test address; the cap on applications
        # per address has its own tests (tests/api/test_ratelimit.py).
        applications_per_address="10000/hour",
    )
    runtime = Runtime.from_settings(settings)
    with TestClient(create_app(runtime)) as client:
        yield Api(client, runtime)
    runtime.engine.dispose()


USERS = "/ims/oneroster/rostering/v1p2/users"


@dataclass
class Deployment:
    base_url: str
    database_url: str
    demo: dict[str, Any]
    providers: list[dict[str, Any]]
    workdir: Path

    def provider(self, name_part: str) -> dict[str, Any]:
        return next(p for p in self.providers if name_part.lower() in p["name"].lower())

    def token(self, provider: dict[str, Any], scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        with checked_client(self.base_url) as client:
            answer = client.post(
                "/oauth/token", data=data, auth=(provider["client_id"], provider["client_secret"])
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def client(self, provider: dict[str, Any]) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(provider)}"}
        return checked_client(self.base_url, headers=headers)

    def change(self, action: Callable[[Session], None]) -> None:
        """Run a real service call against the server's database, committed (kept release too)."""
        change_as_server(self.database_url, self.workdir, action)


def change_as_server(url: str, workdir: Path, action: Callable[[Session], Any]) -> Any:
    """One unit of work with the server's settings and keys, so the kept release settles alike."""
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=workdir / "keys.json"))
    try:
        with runtime.unit_of_work() as session:
            return action(session)
    finally:
        runtime.engine.dispose()


def deploy(url: str, workdir: Path, students: int = 40, **env: str) -> Iterator[Deployment]:
    # Quiet logs: the server's stdout is a pipe nobody drains; a full pipe would stall it.
    env.setdefault("KOPPELVLAK_LOG_LEVEL", "warning")
    environment = koppelvlak_env(url, workdir, **env)
    built = run_cli("demo", "--students", str(students), "--json", env=environment)
    assert built.returncode == 0, built.stderr
    ours = change_as_server(url, workdir, add_providers)
    with running_server(environment) as base_url:
        yield Deployment(base_url, url, json.loads(built.stdout), ours, workdir)
    # Whatever the tests did through the services, the kept releases still equal the rules.
    assert drift(url, workdir) == []


def drift(url: str, workdir: Path) -> list[kept.Drift]:
    """``koppelvlak release check`` on the server's database, with its keys."""
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=workdir / "keys.json"))
    try:
        with runtime.unit_of_work() as session:
            return kept.check(session, utcnow(), runtime.secrets.pseudonym_key)
    finally:
        runtime.engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def deployment(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """Shared, read-only: tests that change data use ``own_deployment``."""
    yield from deploy(fresh_database_url(request.param), tmp_path_factory.mktemp("api"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_deployment(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[Deployment]:
    yield from deploy(fresh_database_url(request.param), tmp_path, students=20)
