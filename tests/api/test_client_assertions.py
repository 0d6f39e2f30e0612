"""``private_key_jwt`` (RFC 7523): an assertion works once, and only if it is short-lived.

The assertions are built by authlib, as a provider's client would build them, and sent to a
real server. Errors are RFC 7523 §3.2 ``invalid_client`` with a description.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from koppelvlak.providers import service as providers
from tests.api.conftest import Deployment
from tests.support.oneroster_client import checked_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _registered_key(deployment: Deployment, provider: dict[str, Any]) -> bytes:
    """A fresh RSA key whose public half is registered for the provider; its private PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    deployment.change(
        lambda s: providers.set_public_key(
            s, provider["client_id"], public.decode(), datetime.now(tz=UTC)
        )
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _exchange(deployment: Deployment, assertion: str) -> httpx.Response:
    with checked_client(deployment.base_url) as client:
        return client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
        )


@pytest.fixture
def signed(own_deployment: Deployment) -> Any:
    provider = own_deployment.providers[0]
    private = _registered_key(own_deployment, provider)
    token_url = own_deployment.base_url + "/oauth/token"

    def sign(**kwargs: Any) -> str:
        assertion = private_key_jwt_sign(private, provider["client_id"], token_url, **kwargs)
        return assertion.decode() if isinstance(assertion, bytes) else str(assertion)

    return sign


class TestReplay:
    def test_an_assertion_is_accepted_once_and_refused_the_second_time(
        self, own_deployment: Deployment, signed: Any
    ) -> None:
        assertion = signed(expires_in=120)
        first = _exchange(own_deployment, assertion)
        assert first.status_code == 200, first.text
        again = _exchange(own_deployment, assertion)
        assert again.status_code == 401
        assert again.json() == {
            "error": "invalid_client",
            "error_description": "the client assertion has been used before",
        }

    def test_a_fresh_assertion_after_a_used_one_works(
        self, own_deployment: Deployment, signed: Any
    ) -> None:
        assert _exchange(own_deployment, signed(expires_in=120)).status_code == 200
        assert _exchange(own_deployment, signed(expires_in=120)).status_code == 200


class TestLifetime:
    def test_an_assertion_that_expires_in_ten_years_is_refused(
        self, own_deployment: Deployment, signed: Any
    ) -> None:
        answer = _exchange(own_deployment, signed(expires_in=10 * 365 * 86_400))
        assert answer.status_code == 401
        assert answer.json() == {
            "error": "invalid_client",
            "error_description": (
                "the client assertion must expire at most 3600 seconds after it was issued"
            ),
        }

    def test_authlibs_default_of_one_hour_is_accepted(
        self, own_deployment: Deployment, signed: Any
    ) -> None:
        assert _exchange(own_deployment, signed()).status_code == 200

    def test_an_assertion_without_exp_is_refused(
        self, own_deployment: Deployment, signed: Any
    ) -> None:
        # authlib always sets exp; a client that leaves it out is refused like a forged one.
        claims = jwt.decode(signed(expires_in=60), options={"verify_signature": False})
        del claims["exp"]
        provider = own_deployment.providers[0]
        private = _registered_key(own_deployment, provider)
        unbounded = jwt.encode(claims | {"iat": int(time.time())}, private, algorithm="RS256")
        answer = _exchange(own_deployment, unbounded)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"
