"""Secrets are argon2-hashed; a verified key is remembered briefly, a wrong one never."""

from __future__ import annotations

import pytest

from koppelvlak.kit import crypto
from koppelvlak.kit.crypto import VerifiedSecretMemo, hash_secret, keyed_digest, verify_secret


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted_argon2(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count real argon2 verifications (the function still runs)."""
    calls: list[str] = []
    real = crypto.verify_secret

    def counting(secret_hash: str, secret: str) -> bool:
        calls.append(secret)
        return real(secret_hash, secret)

    monkeypatch.setattr(crypto, "verify_secret", counting)
    return calls


class TestHashing:
    def test_a_secret_verifies_against_its_hash_only(self) -> None:
        stored = hash_secret("s3cret")
        assert stored.startswith("$argon2id$")
        assert verify_secret(stored, "s3cret")
        assert not verify_secret(stored, "S3cret")

    def test_a_malformed_hash_is_a_mismatch_not_an_error(self) -> None:
        assert not verify_secret("not-a-hash", "anything")

    def test_keyed_digests_separate_their_parts(self) -> None:
        assert keyed_digest(b"k", "ab", "c") != keyed_digest(b"k", "a", "bc")


class TestVerifiedSecretMemo:
    def test_a_correct_secret_is_checked_with_argon2_once_within_the_ttl(
        self, counted_argon2: list[str]
    ) -> None:
        clock = FakeClock()
        memo = VerifiedSecretMemo(ttl_seconds=60, clock=clock)
        stored = hash_secret("key")
        assert memo.verify(stored, "key")
        clock.now += 59
        assert memo.verify(stored, "key")
        assert counted_argon2 == ["key"]

    def test_after_the_ttl_argon2_runs_again(self, counted_argon2: list[str]) -> None:
        clock = FakeClock()
        memo = VerifiedSecretMemo(ttl_seconds=60, clock=clock)
        stored = hash_secret("key")
        memo.verify(stored, "key")
        clock.now += 61
        assert memo.verify(stored, "key")
        assert counted_argon2 == ["key", "key"]

    def test_a_wrong_secret_is_never_remembered(self, counted_argon2: list[str]) -> None:
        memo = VerifiedSecretMemo(clock=FakeClock())
        stored = hash_secret("key")
        assert not memo.verify(stored, "wrong")
        assert not memo.verify(stored, "wrong")
        assert counted_argon2 == ["wrong", "wrong"]

    def test_remembers_answers_without_argon2_and_only_within_the_ttl(
        self, counted_argon2: list[str]
    ) -> None:
        clock = FakeClock()
        memo = VerifiedSecretMemo(ttl_seconds=60, clock=clock)
        stored = hash_secret("key")
        assert not memo.remembers(stored, "key")
        memo.verify(stored, "key")
        assert (memo.remembers(stored, "key"), memo.remembers(stored, "wrong")) == (True, False)
        clock.now += 61
        assert not memo.remembers(stored, "key")
        assert counted_argon2 == ["key"]

    def test_a_remembered_secret_does_not_open_another_hash(self) -> None:
        memo = VerifiedSecretMemo(clock=FakeClock())
        assert memo.verify(hash_secret("key"), "key")
        assert not memo.verify(hash_secret("other"), "key")

    def test_the_memo_forgets_the_oldest_beyond_its_capacity(
        self, counted_argon2: list[str]
    ) -> None:
        memo = VerifiedSecretMemo(capacity=1, clock=FakeClock())
        first, second = hash_secret("a"), hash_secret("b")
        memo.verify(first, "a")
        memo.verify(second, "b")
        memo.verify(first, "a")
        assert counted_argon2 == ["a", "b", "a"]
