"""Access tokens: an accepted token is remembered, but its expiry is checked every time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from koppelvlak.api import tokens

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _issue(key: bytes, lifetime: int = 60) -> str:
    return tokens.issue(
        key,
        credential_id=uuid.uuid4(),
        client_id="client",
        provider_id=uuid.uuid4(),
        scopes=(tokens.ROSTER_CORE,),
        now=NOW,
        lifetime_seconds=lifetime,
    )


class TestARememberedToken:
    def test_it_answers_the_same_claims_again(self) -> None:
        token = _issue(b"k" * 32)
        first = tokens.verify(b"k" * 32, token, NOW)
        assert tokens.verify(b"k" * 32, token, NOW + timedelta(seconds=1)) == first

    def test_it_still_expires(self) -> None:
        token = _issue(b"k" * 32, lifetime=60)
        tokens.verify(b"k" * 32, token, NOW)
        with pytest.raises(tokens.InvalidToken, match="the access token has expired"):
            tokens.verify(b"k" * 32, token, NOW + timedelta(seconds=60))

    def test_another_key_does_not_accept_it(self) -> None:
        token = _issue(b"k" * 32)
        tokens.verify(b"k" * 32, token, NOW)
        with pytest.raises(tokens.InvalidToken, match="the access token is invalid"):
            tokens.verify(b"x" * 32, token, NOW)
