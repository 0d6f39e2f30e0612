"""Unauthenticated UWLR callers are bounded: argon2 slots, and lock-out after failed attempts."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
import redis
from argon2 import PasswordHasher

from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault
from koppelvlak.api.uwlr.guard import KeyGuard
from koppelvlak.kit.crypto import VerifiedSecretMemo

# argon2 reads its cost from the hash: a cheap one keeps these tests quick, the path is the same.
STORED = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("the-key")
REDIS_URL = "redis://127.0.0.1:6379/0"


def guard(memo: VerifiedSecretMemo | None = None, **overrides: object) -> KeyGuard:
    options: dict[str, object] = {
        "slots": 2,
        "per_address": "5/hour",
        "per_klantcode": "3/hour",
        "memo": memo or VerifiedSecretMemo(),
        "namespace": f"test-{uuid.uuid4().hex}",
    }
    options.update(overrides)
    return KeyGuard(**options)  # type: ignore[arg-type]  # the options above, by name


def fail(g: KeyGuard, address: str, klantcode: str) -> None:
    """One wrong key, as the endpoint handles it: checked, then counted."""
    assert not g.verifier(address, klantcode).verify(STORED, "wrong")
    g.record_failure(address, klantcode)


def refusal(g: KeyGuard, address: str, klantcode: str, key: str = "wrong") -> UwlrFault:
    with pytest.raises(UwlrFault) as caught:
        g.verifier(address, klantcode).verify(STORED, key)
    return caught.value


class CountingMemo(VerifiedSecretMemo):
    """The real memo (argon2 runs), counting checks and how many run at the same moment."""

    def __init__(self, hold: float = 0.0) -> None:
        super().__init__()
        self.hold = hold
        self.calls = 0
        self.running = 0
        self.most = 0
        self.count_lock = threading.Lock()

    def verify(self, secret_hash: str, secret: str) -> bool:
        with self.count_lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)  # long enough that eight callers overlap
            return super().verify(secret_hash, secret)
        finally:
            with self.count_lock:
                self.running -= 1


class TestLockOut:
    def test_a_klantcode_is_locked_after_its_failures_without_running_argon2(self) -> None:
        memo = CountingMemo()
        g = guard(memo)
        for _ in range(3):
            fail(g, "10.0.0.1", "DEMO-EA")
        fault = refusal(g, "10.0.0.2", "DEMO-EA")
        assert memo.calls == 3
        assert (fault.code, fault.detail) == (
            FaultCode.AUTORISATIE_ONGELDIG,
            "too many failed autorisatie attempts for klantcode DEMO-EA; try again later "
            "(at most 3 failures per hour)",
        )

    def test_an_address_is_locked_after_its_failures_whatever_klantcodes_it_tries(self) -> None:
        g = guard()
        for number in range(5):
            fail(g, "10.0.0.9", f"GUESS-{number}")
        fault = refusal(g, "10.0.0.9", "ANOTHER")
        assert fault.detail == (
            "too many failed autorisatie attempts from your address; try again later "
            "(at most 5 failures per hour)"
        )
        assert g.verifier("10.0.0.10", "ANOTHER").verify(STORED, "the-key")

    def test_an_unknown_klantcode_is_locked_exactly_like_a_known_one(self) -> None:
        g = guard()
        for klantcode in ("DEMO-EA", "NO-SUCH-KLANT"):
            for _ in range(3):
                fail(g, f"10.1.0.{len(klantcode)}", klantcode)
        known, unknown = (refusal(g, "10.2.0.1", k) for k in ("DEMO-EA", "NO-SUCH-KLANT"))
        assert known.detail.replace("DEMO-EA", "X") == unknown.detail.replace("NO-SUCH-KLANT", "X")

    def test_a_key_verified_recently_still_opens_a_locked_klantcode(self) -> None:
        memo = VerifiedSecretMemo()
        g = guard(memo)
        assert g.verifier("10.0.0.1", "DEMO-EA").verify(STORED, "the-key")
        for _ in range(3):
            fail(g, "10.0.0.66", "DEMO-EA")
        assert g.verifier("10.0.0.1", "DEMO-EA").verify(STORED, "the-key")
        assert refusal(g, "10.0.0.1", "DEMO-EA", key="the-key-guess").code is (
            FaultCode.AUTORISATIE_ONGELDIG
        )


class TestSlots:
    def test_no_more_key_checks_run_at_once_than_there_are_slots(self) -> None:
        memo = CountingMemo(hold=0.05)
        g = guard(memo, slots=2, slot_wait=30.0, per_address="100/hour", per_klantcode="100/hour")
        threads = [
            threading.Thread(target=g.verifier(f"10.0.0.{n}", "K").verify, args=(STORED, "x"))
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert memo.most == 2

    def test_with_every_slot_taken_a_check_is_refused_as_temporarily_unavailable(self) -> None:
        g = guard(slots=1, slot_wait=0.01)
        g.acquire_slot()
        try:
            fault = refusal(g, "10.0.0.1", "DEMO-EA")
        finally:
            g.release_slot()
        assert (fault.code, fault.detail) == (
            FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
            "too many autorisatie keys are being checked at once; try again in a moment",
        )

    def test_a_remembered_key_needs_no_slot(self) -> None:
        memo = VerifiedSecretMemo()
        g = guard(memo, slots=1, slot_wait=0.01)
        assert memo.verify(STORED, "the-key")
        g.acquire_slot()
        try:
            assert g.verifier("10.0.0.1", "DEMO-EA").verify(STORED, "the-key")
        finally:
            g.release_slot()


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class TestSharedCounts:
    @pytest.mark.skipif(not _redis_up(), reason="needs the Redis test server on 127.0.0.1:6379")
    def test_with_redis_every_process_sees_the_same_failures(self) -> None:
        namespace = f"test-{uuid.uuid4().hex}"
        first, second = (guard(storage_url=REDIS_URL, namespace=namespace) for _ in range(2))
        for _ in range(3):
            fail(first, "10.0.0.1", "DEMO-EA")
        assert refusal(second, "10.0.0.2", "DEMO-EA").detail.startswith(
            "too many failed autorisatie attempts for klantcode DEMO-EA"
        )

    def test_with_redis_down_the_counts_fall_back_to_memory_and_say_so_once(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        g = guard(storage_url="redis://127.0.0.1:1/0")
        with caplog.at_level(logging.WARNING, logger="koppelvlak.uwlr"):
            for _ in range(3):
                fail(g, "10.0.0.1", "DEMO-EA")
            fault = refusal(g, "10.0.0.2", "DEMO-EA")
        assert fault.code is FaultCode.AUTORISATIE_ONGELDIG
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert warnings[0].startswith("UWLR failure counts fall back to process memory: ")


class TestOneCheckPerKey:
    def test_callers_with_the_same_key_wait_for_its_check_instead_of_taking_slots(self) -> None:
        memo = CountingMemo(hold=0.2)
        g = guard(memo, slots=1, slot_wait=0.01)
        answers: list[bool] = []
        threads = [
            threading.Thread(
                target=lambda n=n: answers.append(
                    g.verifier(f"10.0.0.{n}", "DEMO-EA").verify(STORED, "the-key")
                )
            )
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [True] * 8
        assert memo.calls == 1

    def test_a_wrong_key_does_not_ride_on_the_check_of_a_right_one(self) -> None:
        memo = CountingMemo(hold=0.2)
        g = guard(memo, slots=2, slot_wait=5.0)
        answers: dict[str, bool] = {}

        def check(key: str) -> None:
            answers[key] = g.verifier("10.0.0.1", "DEMO-EA").verify(STORED, key)

        threads = [threading.Thread(target=check, args=(k,)) for k in ("the-key", "not-it")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == {"the-key": True, "not-it": False}
        assert memo.calls == 2
