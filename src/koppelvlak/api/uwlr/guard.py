"""What an unauthenticated UWLR caller can cost: key checks bounded, failed attempts limited.

Each key check runs argon2 (tens of milliseconds of CPU and 64 MiB of memory, on purpose), so
16 concurrent wrong keys once took a server to 1.1 GB and a valid call from 0.06 s to 3 s.

- At most ``uwlr_key_checks`` argon2 runs at once per process; a caller that finds no free slot
  within a quarter of a second gets ``Server.TijdelijkNietBeschikbaar`` at once, so memory stays
  flat and nobody queues.
- Failed checks are counted per client address and per klantcode (the ``limits`` library, in
  Redis when ``KOPPELVLAK_REDIS_URL`` is set so every process shares the counts). Over either
  limit, further keys are refused without running argon2 until the window has moved on. An
  unknown klantcode is counted and locked exactly like a known one, so the lock-out says
  nothing about which klantcodes exist.
- Callers that present the same key while its check is running wait for that check instead of
  taking slots of their own (``KeyFlights``): a provider's burst of parallel calls after a start
  or after the memo forgot the key costs one argon2 run, not one refusal per slot too few.
- A key this process verified in the last minutes (``VerifiedSecretMemo.remembers``, one HMAC)
  passes without a slot and despite a lock-out: guessing cannot produce a remembered key, and
  a provider is not locked out by someone else's guessing.

If the limiter's store fails (Redis down), the counts fall back to this process's memory and
the failure is logged once: the limit still holds per process, and the store is tried again
every 30 seconds (ADR 0051).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault
from koppelvlak.config import Settings
from koppelvlak.kit.crypto import VerifiedSecretMemo, verified_secrets

log = logging.getLogger("koppelvlak.uwlr")

SLOT_WAIT_SECONDS = 0.25
FLIGHT_WAIT_SECONDS = 5.0
STORE_RETRY_SECONDS = 30.0


class KeyFlights:
    """The key checks running in this process, by the memo's token for (hash, key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}

    def join(self, token: str) -> tuple[bool, threading.Event]:
        """``(True, event)`` for the first caller, who must ``land``; later ones get its event."""
        with self._lock:
            running = self._running.get(token)
            if running is not None:
                return False, running
            event = self._running[token] = threading.Event()
            return True, event

    def land(self, token: str, event: threading.Event) -> None:
        with self._lock:
            if self._running.get(token) is event:
                del self._running[token]
        event.set()


class KeyGuard:
    """One per process: the argon2 slots and the failure counters."""

    def __init__(
        self,
        *,
        slots: int,
        per_address: str,
        per_klantcode: str,
        storage_url: str | None = None,
        memo: VerifiedSecretMemo = verified_secrets,
        namespace: str = "koppelvlak-uwlr",
        slot_wait: float = SLOT_WAIT_SECONDS,
    ) -> None:
        self.memo = memo
        self.flights = KeyFlights()
        self.slot_wait = slot_wait
        self.namespace = namespace
        self._slots = threading.BoundedSemaphore(slots)
        self._per_address: RateLimitItem = parse(per_address)
        self._per_klantcode: RateLimitItem = parse(per_klantcode)
        self._rates = (per_address, per_klantcode)
        store = storage_from_string(storage_url or "memory://", wrap_exceptions=True)
        self._limiter = MovingWindowRateLimiter(store)
        self._fallback: MovingWindowRateLimiter | None = None
        self._fallback_since = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyGuard:
        return cls(
            slots=settings.uwlr_key_checks,
            per_address=settings.uwlr_failures_per_address,
            per_klantcode=settings.uwlr_failures_per_klantcode,
            storage_url=settings.redis_url,
        )

    def verifier(self, address: str, klantcode: str) -> GatedVerifier:
        """The verifier ``authenticate_uwlr`` uses for one request."""
        return GatedVerifier(self, address, klantcode)

    def record_failure(self, address: str, klantcode: str) -> None:
        """Count one failed key check against the address and against the klantcode."""
        for item, identifiers in self._counters(address, klantcode):
            self._call("hit", item, identifiers)

    def refuse_if_locked(self, address: str, klantcode: str) -> None:
        (address_item, by_address), (klantcode_item, by_klantcode) = self._counters(
            address, klantcode
        )
        if not self._call("test", address_item, by_address):
            raise UwlrFault(
                FaultCode.AUTORISATIE_ONGELDIG,
                "too many failed autorisatie attempts from your address; try again later "
                f"(at most {_rate(self._rates[0])})",
            )
        if not self._call("test", klantcode_item, by_klantcode):
            raise UwlrFault(
                FaultCode.AUTORISATIE_ONGELDIG,
                f"too many failed autorisatie attempts for klantcode {klantcode}; try again "
                f"later (at most {_rate(self._rates[1])})",
            )

    def acquire_slot(self) -> None:
        if not self._slots.acquire(timeout=self.slot_wait):
            raise UwlrFault(
                FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
                "too many autorisatie keys are being checked at once; try again in a moment",
            )

    def release_slot(self) -> None:
        self._slots.release()

    def _counters(
        self, address: str, klantcode: str
    ) -> tuple[tuple[RateLimitItem, tuple[str, ...]], tuple[RateLimitItem, tuple[str, ...]]]:
        return (
            (self._per_address, (self.namespace, "address", address)),
            (self._per_klantcode, (self.namespace, "klantcode", klantcode)),
        )

    def _call(self, method: str, item: RateLimitItem, identifiers: tuple[str, ...]) -> bool:
        """Ask the shared store; while it is down (retried every 30 s), this process's memory."""
        if self._fallback is None or time.monotonic() - self._fallback_since > STORE_RETRY_SECONDS:
            try:
                answer = bool(getattr(self._limiter, method)(item, *identifiers))
            except StorageError as error:
                if self._fallback is None:
                    log.warning("UWLR failure counts fall back to process memory: %s", error)
                    self._fallback = MovingWindowRateLimiter(storage_from_string("memory://"))
                self._fallback_since = time.monotonic()
            else:
                if self._fallback is not None:
                    log.warning("UWLR failure counts are shared again")
                self._fallback = None
                return answer
        assert self._fallback is not None  # set above whenever the store failed
        return bool(getattr(self._fallback, method)(item, *identifiers))


def _rate(text: str) -> str:
    amount, _, period = text.partition("/")
    return f"{amount} failures per {period.strip()}"


@dataclass(frozen=True)
class GatedVerifier:
    """A remembered key passes at once; any other goes through the lock-out and a slot."""

    guard: KeyGuard
    address: str
    klantcode: str

    def verify(self, secret_hash: str, secret: str) -> bool:
        memo = self.guard.memo
        if memo.remembers(secret_hash, secret):
            return True
        token = memo.token(secret_hash, secret)
        first, flight = self.guard.flights.join(token)
        if not first:
            # The same key is being checked: its success is remembered; a failure or a check
            # that outlasts the wait is no answer for this caller, who checks on its own.
            flight.wait(FLIGHT_WAIT_SECONDS)
            if memo.remembers(secret_hash, secret):
                return True
        try:
            return self._checked(secret_hash, secret)
        finally:
            if first:
                self.guard.flights.land(token, flight)

    def _checked(self, secret_hash: str, secret: str) -> bool:
        self.guard.refuse_if_locked(self.address, self.klantcode)
        self.guard.acquire_slot()
        try:
            return self.guard.memo.verify(secret_hash, secret)
        finally:
            self.guard.release_slot()
