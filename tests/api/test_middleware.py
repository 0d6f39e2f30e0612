"""Access logs carry no personal data; oversized bodies are refused; clients are rate limited."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.runtime import Runtime

PSEUDONYM = "6879293c5ba25692cf3a97bf33ed47c0b4d07a1effd6b77d71ec5ca0a64b49d1"


def client(tmp_path: Path, **settings: object) -> TestClient:
    configured = Settings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}", key_file=tmp_path / "k.json", **settings
    )
    return TestClient(create_app(Runtime.from_settings(configured)))


class TestAccessLog:
    def test_a_line_names_the_route_template_and_parameter_names_only(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="koppelvlak.access"):
            answer = client(tmp_path).get(
                f"/ims/oneroster/rostering/v1p2/users/{PSEUDONYM}",
                params={"fields": "givenName", "filter": "givenName='Daan'"},
            )
        assert answer.status_code == 401
        (line,) = [r.getMessage() for r in caplog.records if r.name == "koppelvlak.access"]
        entry = json.loads(line)
        assert entry["route"] == "/ims/oneroster/rostering/v1p2/users/{sourcedId}"
        assert entry["params"] == ["fields", "filter"]
        assert entry["status"] == 401
        assert PSEUDONYM not in line
        assert "Daan" not in line


class TestRequestLimits:
    def test_a_body_over_the_limit_is_413_problem_json(self, tmp_path: Path) -> None:
        answer = client(tmp_path, max_request_bytes=1_000).post(
            "/oauth/token",
            content=b"grant_type=client_credentials&x=" + b"a" * 2_000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "the request body exceeds 1000 bytes"

    def test_too_many_token_requests_get_429_with_retry_after(self, tmp_path: Path) -> None:
        api = client(tmp_path, rate_limit="2/minute")
        answers = [
            api.post("/oauth/token", data={"grant_type": "client_credentials"}) for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [401, 401, 429]
        assert answers[2].headers["content-type"] == "application/problem+json"
        assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


class TestJsonBodyLimits:
    @pytest.mark.parametrize("path", ["/onboarding/v1/applications", "/admin/api/v1/connections"])
    def test_a_json_body_over_the_limit_is_413_before_it_is_parsed(
        self, tmp_path: Path, path: str
    ) -> None:
        body = b'{"name": "' + b"a" * 20_000_000 + b'"}'
        answer = client(tmp_path).post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "the request body exceeds 5000000 bytes"

    def test_a_streamed_json_body_without_a_length_is_cut_off_too(self, tmp_path: Path) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"name": "'
            for _ in range(30):
                yield b"a" * 100_000
            yield b'"}'

        answer = client(tmp_path, max_request_bytes=1_000_000).post(
            "/onboarding/v1/applications",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 413
        assert answer.json()["detail"] == "the request body exceeds 1000000 bytes"
