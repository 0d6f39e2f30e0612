"""Per-client rate limiting with the ``limits`` library (memory, or Redis when configured).

In memory the limit holds per process; with ``KOPPELVLAK_REDIS_URL`` every API process shares the
same counters, so the limit holds for the whole service.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self.item: RateLimitItem = parse(rate)
        self.strategy = MovingWindowRateLimiter(storage_from_string(redis_url or "memory://"))

    def retry_after(self, key: str) -> int | None:
        """Count one request for ``key``; ``None`` when allowed, else seconds to wait."""
        if self.strategy.hit(self.item, key):
            return None
        reset = self.strategy.get_window_stats(self.item, key).reset_time
        return max(1, math.ceil(reset - time.time()))
