"""Rate limits and lock-outs with the ``limits`` library (memory, or Redis when configured).

In memory a limit holds per process; with ``KOPPELVLAK_REDIS_URL`` every API process shares the
same counters, so a limit holds for the whole service. When Redis is configured but does not
answer, the counters move to memory in this process until it answers again, and that is logged
once per outage and shown by ``/readyz`` (ADR 0065): a Redis outage weakens the limits, it does
not take the service down.

Three kinds of limit use the same store:

- ``RateLimiter``: requests per key (token requests per address, pages per client);
- ``FailedAttempts``: failed credential checks per client address and per credential; once either
  is over its limit, that address or credential is refused with 429 *before* the (deliberately
  slow) secret check runs, so guessers cannot slow down everyone else;
- ``RateLimiter`` again for what an unauthenticated caller may create (applications per address).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from koppelvlak.errors import ConfigurationError, KoppelvlakError

log = logging.getLogger("koppelvlak.ratelimit")
T = TypeVar("T")

#: Seconds Redis may take to connect or answer before a request counts in memory instead.
REDIS_TIMEOUT_SECONDS = 0.25
#: After a failure, how long requests count in memory before Redis is tried again.
REDIS_RETRY_SECONDS = 5.0


class TooManyAttempts(KoppelvlakError):
    """429 with ``Retry-After``: a limit or a lock-out holds for this caller."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class StoreHealth:
    """What ``/readyz`` says about the counters."""

    ok: bool
    detail: str


class LimitStore:
    """The counters: Redis when configured and answering, else memory in this process."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self._storage: Storage | None = None
        if redis_url:
            storage = storage_from_string(
                redis_url,
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if not isinstance(storage, Storage):
                raise ConfigurationError("KOPPELVLAK_REDIS_URL must be a redis:// URL")
            self._storage = storage
            self._shared = MovingWindowRateLimiter(storage)
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    def run(self, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
        """Run ``operation`` on the shared counters, or on memory while they are unreachable."""
        if self._shared is not None and time.monotonic() >= self._retry_at:
            try:
                result = operation(self._shared)
            except StorageError as error:
                self._went_down(error)
            else:
                self._came_back()
                return result
        return operation(self._memory)

    def health(self) -> StoreHealth:
        """Ask the store now (readiness must tell the truth, not repeat the last request)."""
        if self._storage is None:
            return StoreHealth(True, "memory (per process)")
        if self._storage.check():  # a ping; False, never an exception, when Redis is gone
            self._came_back()
            return StoreHealth(True, "redis")
        self._went_down(None)
        return StoreHealth(False, "redis unreachable; limits are counted in memory per process")

    def _went_down(self, error: StorageError | None) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            if self._down:
                return
            self._down = True
        # The class name only: a driver message may carry the URL with its password.
        reason = type(error.storage_error).__name__ if error is not None else "no answer"
        log.warning(
            "rate-limit store unreachable (%s); counting in memory per process until it answers",
            reason,
        )

    def _came_back(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("rate-limit store answers again; limits are shared again")


def _retry_after(strategy: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> int:
    reset = strategy.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset - time.time()))


class RateLimiter:
    """At most ``rate`` (``limits`` notation, e.g. ``600/minute``) hits per key."""

    def __init__(self, rate: str, store: LimitStore) -> None:
        self.item: RateLimitItem = parse(rate)
        self.store = store

    def retry_after(self, key: str) -> int | None:
        """Count one request for ``key``; ``None`` when allowed, else seconds to wait."""

        def hit(strategy: MovingWindowRateLimiter) -> int | None:
            if strategy.hit(self.item, key):
                return None
            return _retry_after(strategy, self.item, key)

        return self.store.run(hit)


class FailedAttempts:
    """Failed credential checks per client address and per credential; over either: locked out.

    ``check`` before verifying a credential (it counts nothing), ``failed`` after a wrong one.
    A success does not reset the count: a guesser who also holds one valid credential must not
    be able to wipe its own record.
    """

    def __init__(self, per_address: str, per_credential: str, store: LimitStore) -> None:
        self.per_address: RateLimitItem = parse(per_address)
        self.per_credential: RateLimitItem = parse(per_credential)
        self.store = store

    def _keys(self, address: str, credential: str | None) -> list[tuple[RateLimitItem, str]]:
        keys = [(self.per_address, f"failed:address:{address}")]
        if credential:
            keys.append((self.per_credential, f"failed:credential:{credential}"))
        return keys

    def check(self, address: str, credential: str | None) -> None:
        """Raise ``TooManyAttempts`` while this address or credential is locked out."""

        def wait(strategy: MovingWindowRateLimiter) -> int | None:
            for item, key in self._keys(address, credential):
                if not strategy.test(item, key):
                    return _retry_after(strategy, item, key)
            return None

        seconds = self.store.run(wait)
        if seconds is not None:
            raise TooManyAttempts("too many failed attempts; try again later", retry_after=seconds)

    def failed(self, address: str, credential: str | None) -> None:
        def count(strategy: MovingWindowRateLimiter) -> None:
            for item, key in self._keys(address, credential):
                strategy.hit(item, key)

        self.store.run(count)


@dataclass(frozen=True)
class Limits:
    """Every limiter of one app, sharing one store (``app.state.limits``)."""

    store: LimitStore
    requests: RateLimiter
    failed_attempts: FailedAttempts
    applications: RateLimiter


def client_address(request: HTTPConnection) -> str:
    """The caller's address (uvicorn has already applied trusted proxy headers)."""
    return request.client.host if request.client else "unknown"
