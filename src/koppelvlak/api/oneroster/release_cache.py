"""A short-lived, per-process cache of resolved releases (off unless configured).

Paging through 2,000 users means twenty requests within seconds, each resolving the same
release. With ``KOPPELVLAK_RELEASE_CACHE_SECONDS`` > 0 a release is reused for that long. What is
never cached: the credential check and the connection state, both read on every request, so
revocation still works at once. What can lag by up to the TTL: a roster change, objection or
consent change (ADR 0043). Each cached release is still recorded in the ledger per response.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from koppelvlak.release.values import Release

Key = tuple[uuid.UUID, datetime | None]


class ReleaseCache:
    def __init__(self, seconds: float, max_entries: int = 256) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._entries: OrderedDict[Key, tuple[float, Release]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, resolve: Callable[[], Release]) -> Release:
        if self.seconds <= 0:
            return resolve()
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] > now:
                return found[1]
        release = resolve()
        with self._lock:
            self._entries[key] = (now + self.seconds, release)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return release
