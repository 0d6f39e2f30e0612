"""Push signatures as a receiver checks them: the right key, the exact bytes, a fresh time."""

from __future__ import annotations

import uuid

import pytest

from koppelvlak.delivery import signing
from koppelvlak.delivery.errors import EndpointRefused
from koppelvlak.delivery.push import check_url
from koppelvlak.delivery.worker import Policy, backoff

SECRET = b"token-signing-key-for-tests-0123456789"
PROVIDER = uuid.UUID("00000000-0000-4000-8000-000000000001")
DELIVERY = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
BODY = b'{"kind":"changes"}'
NOW = 1_767_603_600


def _header(*versions: int, at: int = NOW, body: bytes = BODY) -> str:
    keys = [signing.LiveKey(v, signing.derive(SECRET, PROVIDER, v)) for v in versions]
    return signing.header(keys, at, DELIVERY, body)


class TestVerifying:
    def test_accepts_the_exact_request(self) -> None:
        key = signing.derive(SECRET, PROVIDER, 1)
        assert signing.verify(key, _header(1), DELIVERY, BODY, now=NOW)

    @pytest.mark.parametrize(
        ("header", "delivery", "body"),
        [
            (_header(1, body=b'{"kind":"release"}'), DELIVERY, BODY),
            (_header(1), uuid.uuid4(), BODY),
            (_header(1), DELIVERY, BODY + b" "),
            (_header(2), DELIVERY, BODY),
            ("v1=" + "0" * 64, DELIVERY, BODY),
            ("", DELIVERY, BODY),
        ],
        ids=[
            "other-body-signed",
            "other-delivery-id",
            "changed-body",
            "other-key",
            "no-time",
            "unsigned",
        ],
    )
    def test_refuses_anything_else(self, header: str, delivery: uuid.UUID, body: bytes) -> None:
        key = signing.derive(SECRET, PROVIDER, 1)
        assert not signing.verify(key, header, delivery, body, now=NOW)

    def test_refuses_a_replay_outside_the_tolerance(self) -> None:
        key = signing.derive(SECRET, PROVIDER, 1)
        assert not signing.verify(key, _header(1, at=NOW - 301), DELIVERY, BODY, now=NOW)
        assert signing.verify(key, _header(1, at=NOW - 299), DELIVERY, BODY, now=NOW)

    def test_during_a_rotation_both_keys_verify(self) -> None:
        both = _header(2, 1)
        for version in (1, 2):
            key = signing.derive(SECRET, PROVIDER, version)
            assert signing.verify(key, both, DELIVERY, BODY, now=NOW)


class TestKeys:
    def test_differ_per_provider_and_version_and_never_show_in_a_repr(self) -> None:
        keys = {
            signing.derive(SECRET, PROVIDER, 1),
            signing.derive(SECRET, PROVIDER, 2),
            signing.derive(SECRET, uuid.uuid4(), 1),
        }
        assert len(keys) == 3
        live = signing.LiveKey(1, signing.derive(SECRET, PROVIDER, 1))
        assert signing.encoded(live.key) not in repr(live)


class TestEndpoints:
    @pytest.mark.parametrize(
        ("url", "loopback"),
        [
            ("http://provider.example/hook", True),
            ("http://10.0.0.1/hook", True),
            ("http://127.0.0.1:9/hook", False),
            ("https://user:pw@provider.example/hook", False),
            ("ftp://provider.example/hook", False),
            ("/relative", False),
        ],
    )
    def test_refuses_plain_http_except_loopback_when_allowed(
        self, url: str, loopback: bool
    ) -> None:
        with pytest.raises(EndpointRefused):
            check_url(url, allow_loopback_http=loopback)

    def test_accepts_https_and_allowed_loopback(self) -> None:
        assert check_url("https://provider.example/hook") == "https://provider.example/hook"
        assert check_url("http://127.0.0.1:9/h", allow_loopback_http=True) == "http://127.0.0.1:9/h"


class TestBackoff:
    def test_doubles_per_attempt_with_jitter_in_the_upper_half(self) -> None:
        policy = Policy()
        for attempts in range(1, 8):
            delay = backoff(policy, attempts).total_seconds()
            full = 2.0 * 2 ** (attempts - 1)
            assert full / 2 <= delay <= full
