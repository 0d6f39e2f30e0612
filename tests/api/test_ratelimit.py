"""Failed credentials are limited and locked out; unauthenticated callers create little; a Redis
outage weakens the limits (memory per process) instead of breaking every request (ADR 0065)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.db import upgrade
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import Provider
from koppelvlak.runtime import Runtime
from tests.api.test_onboarding_api import APPLICATION
from tests.factories.providers import T0, connected
from tests.support.server import free_port

LOCKED = "too many failed attempts; try again later"
TOKEN = "/oauth/token"
CONNECTIONS = "/admin/api/v1/connections"
ME = "/onboarding/v1/provider"


@dataclass
class Limited:
    """An app with small limits: 4 failures per address, 2 per credential, 2 applications."""

    app: object
    runtime: Runtime

    def caller(self) -> TestClient:
        """A client from an address of its own, so tests never share an address's count."""
        address = f"192.0.2.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"
        return TestClient(self.app, client=(address, 40000))  # type: ignore[arg-type]  # an ASGI app


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def limited(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Limited]:
    settings = Settings(
        database_url=fresh_database_url(request.param),
        key_file=tmp_path_factory.mktemp("keys") / "k.json",
        failed_attempts_per_address="4 per 10 minutes",
        failed_attempts_per_credential="2 per 10 minutes",
        applications_per_address="2/hour",
    )
    runtime = Runtime.from_settings(settings)
    yield Limited(create_app(runtime), runtime)
    runtime.engine.dispose()


@dataclass
class Known:
    client_id: str
    client_secret: str
    admin_token: str


def _provider(limited: Limited) -> Known:
    """An accredited provider with an active connection, a client credential and an admin token
    of the school's board."""
    with limited.runtime.unit_of_work() as session:
        setup = connected(session, activate=True)
        issued = providers.create_credential(session, setup.provider.id, T0, label="test")
        admin = create_token(session, setup.board.id, AdminRole.ADMIN, label="admin", at=T0)
    return Known(issued.client_id, issued.client_secret, admin.token)


class TestOnboardingBasicCredentials:
    def test_a_client_id_is_locked_out_after_its_failed_attempts_even_for_the_right_secret(
        self, limited: Limited
    ) -> None:
        provider = _provider(limited)
        first, second = limited.caller(), limited.caller()
        wrong = [first.get(ME, auth=(provider.client_id, "guess")) for _ in range(2)]
        assert [w.status_code for w in wrong] == [401, 401]
        locked = second.get(ME, auth=(provider.client_id, provider.client_secret))
        assert locked.status_code == 429
        assert locked.headers["content-type"] == "application/problem+json"
        assert locked.json()["detail"] == LOCKED
        assert 1 <= int(locked.headers["Retry-After"]) <= 600

    def test_an_address_is_locked_out_after_guessing_several_client_ids(
        self, limited: Limited
    ) -> None:
        guesser = limited.caller()
        answers = [guesser.get(ME, auth=(f"kv_{i}", "guess")).status_code for i in range(5)]
        assert answers == [401, 401, 401, 401, 429]

    def test_a_normal_caller_elsewhere_is_unaffected_by_a_guesser(self, limited: Limited) -> None:
        provider = _provider(limited)
        guesser = limited.caller()
        for i in range(6):
            guesser.get(ME, auth=(f"kv_other_{i}", "guess"))
        answer = limited.caller().get(ME, auth=(provider.client_id, provider.client_secret))
        assert answer.status_code == 200


class TestAdminTokens:
    def test_a_token_id_is_locked_out_after_its_failed_attempts(self, limited: Limited) -> None:
        provider = _provider(limited)
        forged = provider.admin_token[:-3] + "xyz"
        guesser = limited.caller()
        wrong = [
            guesser.get(CONNECTIONS, headers={"Authorization": f"Bearer {forged}"})
            for _ in range(2)
        ]
        assert [w.status_code for w in wrong] == [401, 401]
        locked = limited.caller().get(
            CONNECTIONS, headers={"Authorization": f"Bearer {provider.admin_token}"}
        )
        assert locked.status_code == 429
        assert locked.json()["detail"] == LOCKED
        assert int(locked.headers["Retry-After"]) >= 1

    def test_an_address_guessing_tokens_is_locked_out(self, limited: Limited) -> None:
        guesser = limited.caller()
        answers = [
            guesser.get(CONNECTIONS, headers={"Authorization": f"Bearer kva_{i}_nope"}).status_code
            for i in range(5)
        ]
        assert answers == [401, 401, 401, 401, 429]


class TestTokenEndpointSecrets:
    def test_a_client_id_is_locked_out_with_retry_after(self, limited: Limited) -> None:
        provider = _provider(limited)
        grant = {"grant_type": "client_credentials"}
        guesser = limited.caller()
        wrong = [guesser.post(TOKEN, data=grant, auth=(provider.client_id, "x")) for _ in range(2)]
        assert [w.status_code for w in wrong] == [401, 401]
        assert wrong[0].json()["error"] == "invalid_client"
        locked = limited.caller().post(
            TOKEN, data=grant, auth=(provider.client_id, provider.client_secret)
        )
        assert locked.status_code == 429
        assert locked.headers["content-type"] == "application/problem+json"
        assert locked.json()["detail"] == LOCKED
        assert int(locked.headers["Retry-After"]) >= 1

    def test_form_secrets_count_too_and_a_good_client_still_gets_its_token(
        self, limited: Limited
    ) -> None:
        provider, other = _provider(limited), _provider(limited)
        guesser = limited.caller()
        for _ in range(3):
            guesser.post(
                TOKEN,
                data={
                    "grant_type": "client_credentials",
                    "client_id": other.client_id,
                    "client_secret": "x",
                },
            )
        answer = limited.caller().post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            auth=(provider.client_id, provider.client_secret),
        )
        assert answer.status_code == 200
        refused = limited.caller().post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            auth=(other.client_id, other.client_secret),
        )
        assert refused.status_code == 429


class TestApplications:
    def test_an_address_may_send_only_so_many_applications_and_the_rest_create_nothing(
        self, limited: Limited
    ) -> None:
        caller = limited.caller()

        def providers_count() -> int:
            with limited.runtime.unit_of_work() as session:
                return int(session.scalar(select(func.count()).select_from(Provider)) or 0)

        before = providers_count()
        answers = [
            caller.post(
                "/onboarding/v1/applications",
                json={**APPLICATION, "kvk_number": f"{uuid.uuid4().int % 10**8:08d}"},
            )
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert answers[2].json()["detail"] == (
            "too many applications from this address; try again later"
        )
        assert int(answers[2].headers["Retry-After"]) >= 1
        assert providers_count() == before + 2


def _app_with_redis(tmp_path: Path, redis_url: str, **settings: str) -> tuple[TestClient, Runtime]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    configured = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        key_file=tmp_path / "k.json",
        redis_url=redis_url,
        **settings,  # type: ignore[arg-type]  # only string settings are passed
    )
    runtime = Runtime.from_settings(configured)
    upgrade(runtime.engine)
    return TestClient(create_app(runtime)), runtime


class TestRedisConfiguredButDown:
    def test_requests_are_answered_and_limits_still_hold_in_memory(self, tmp_path: Path) -> None:
        api, _ = _app_with_redis(
            tmp_path, f"redis://127.0.0.1:{free_port()}/0", rate_limit="2/minute"
        )
        answers = [
            api.post(TOKEN, data={"grant_type": "client_credentials"}).status_code for _ in range(3)
        ]
        assert answers == [401, 401, 429]

    def test_a_page_is_answered_not_500(self, tmp_path: Path) -> None:
        api, runtime = _app_with_redis(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
        with runtime.unit_of_work() as session:
            setup = connected(session, activate=True)
            issued = providers.create_credential(session, setup.provider.id, T0)
        token = api.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            auth=(issued.client_id, issued.client_secret),
        )
        assert token.status_code == 200
        page = api.get(
            "/ims/oneroster/rostering/v1p2/users",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert page.status_code == 200

    def test_readiness_says_degraded_and_why(self, tmp_path: Path) -> None:
        api, _ = _app_with_redis(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
        answer = api.get("/readyz")
        assert answer.status_code == 200
        assert answer.json()["status"] == "degraded"
        assert answer.json()["checks"]["rate_limit_store"] == {
            "ok": False,
            "detail": "redis unreachable; limits are counted in memory per process",
        }
        assert answer.json()["checks"]["database"]["ok"] is True

    def test_the_outage_is_logged_once_without_the_url(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
        api, _ = _app_with_redis(tmp_path, url)
        with caplog.at_level(logging.WARNING, logger="koppelvlak.ratelimit"):
            for _ in range(3):
                api.post(TOKEN, data={"grant_type": "client_credentials"})
        lines = [r.getMessage() for r in caplog.records if r.name == "koppelvlak.ratelimit"]
        assert lines == [
            "rate-limit store unreachable (ConnectionError); "
            "counting in memory per process until it answers"
        ]
        assert "hunter2" not in caplog.text


class TestRedisAnswering:
    def test_readiness_names_redis_and_counts_are_shared_between_apps(self, tmp_path: Path) -> None:
        url = "redis://127.0.0.1:6379/0"
        # A rate of its own, so counts left by other runs cannot meet this test's.
        rate = f"2 per {uuid.uuid4().int % 1000 + 2000} seconds"
        first, _ = _app_with_redis(tmp_path / "a", url, rate_limit=rate)
        second, _ = _app_with_redis(tmp_path / "b", url, rate_limit=rate)
        caller = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"
        one = TestClient(first.app, client=(caller, 1))
        two = TestClient(second.app, client=(caller, 1))
        grant = {"grant_type": "client_credentials"}
        answers = [
            one.post(TOKEN, data=grant).status_code,
            two.post(TOKEN, data=grant).status_code,
            one.post(TOKEN, data=grant).status_code,
        ]
        assert answers == [401, 401, 429]
        ready = first.get("/readyz").json()
        assert ready["status"] == "ready"
        assert ready["checks"]["rate_limit_store"] == {"ok": True, "detail": "redis"}
