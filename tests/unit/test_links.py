"""Signed links verify only unaltered, for their own purpose and key, and only until they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from koppelvlak.kit.links import LinkExpired, LinkInvalid, derive_key, sign, verify

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
KEY = derive_key(b"session-key", "consent")


def _token(**claims: str) -> str:
    return sign(KEY, "consent", claims or {"child": "c1"}, NOW + timedelta(days=1))


class TestAGoodLink:
    def test_gives_back_its_claims_with_purpose_expiry_and_a_jti(self) -> None:
        claims = verify(KEY, _token(child="c1", connection="k1"), "consent", NOW)
        assert claims["child"] == "c1"
        assert claims["connection"] == "k1"
        assert claims["purpose"] == "consent"
        assert len(claims["jti"]) >= 16

    def test_two_links_for_the_same_claims_differ(self) -> None:
        assert _token() != _token()


class TestABadLink:
    def test_an_altered_claim_is_refused(self) -> None:
        _, _, mac = _token().partition(".")
        forged = sign(b"other", "consent", {"child": "c2"}, NOW + timedelta(days=1))
        with pytest.raises(LinkInvalid, match="altered"):
            verify(KEY, f"{forged.partition('.')[0]}.{mac}", "consent", NOW)

    def test_a_link_for_another_purpose_is_refused(self) -> None:
        other = derive_key(b"session-key", "rights")
        token = sign(other, "rights", {"child": "c1"}, NOW + timedelta(days=1))
        with pytest.raises(LinkInvalid, match="altered"):
            verify(KEY, token, "consent", NOW)
        same_key = sign(KEY, "rights", {"child": "c1"}, NOW + timedelta(days=1))
        with pytest.raises(LinkInvalid, match="made for something else"):
            verify(KEY, same_key, "consent", NOW)

    def test_an_expired_link_is_refused(self) -> None:
        with pytest.raises(LinkExpired, match="has expired"):
            verify(KEY, _token(), "consent", NOW + timedelta(days=1))

    @pytest.mark.parametrize("token", ["", "abc", "abc.", ".abc", "a.b.c" * 500, "x.%%%"])
    def test_a_malformed_link_is_refused(self, token: str) -> None:
        with pytest.raises(LinkInvalid):
            verify(KEY, token, "consent", NOW)

    def test_a_naive_expiry_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            sign(KEY, "consent", {}, datetime(2027, 1, 1))
