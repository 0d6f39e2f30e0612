"""An in-process app on a committed database of each kind, for the admin and onboarding APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.runtime import Runtime


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
    settings = Settings(database_url=fresh_database_url(request.param), key_file=key_file)
    runtime = Runtime.from_settings(settings)
    with TestClient(create_app(runtime)) as client:
        yield Api(client, runtime)
    runtime.engine.dispose()
