"""The release cache: off by default, reuses within its lifetime, bounded in size."""

from __future__ import annotations

import uuid

from koppelvlak.api.oneroster.release_cache import ReleaseCache
from koppelvlak.release.values import Release
from tests.factories import releases as make


def counting() -> tuple[list[Release], object]:
    made: list[Release] = []

    def resolve() -> Release:
        made.append(make.release())
        return made[-1]

    return made, resolve


class TestReleaseCache:
    def test_with_zero_seconds_every_request_resolves(self) -> None:
        made, resolve = counting()
        cache, key = ReleaseCache(0), (uuid.uuid4(), None)
        first, second = cache.get(key, resolve), cache.get(key, resolve)  # type: ignore[arg-type]
        assert len(made) == 2
        assert first is not second

    def test_within_its_lifetime_a_release_is_reused_per_connection_and_since(self) -> None:
        made, resolve = counting()
        cache, key, other = ReleaseCache(300), (uuid.uuid4(), None), (uuid.uuid4(), None)
        assert cache.get(key, resolve) is cache.get(key, resolve)  # type: ignore[arg-type]
        cache.get(other, resolve)  # type: ignore[arg-type]
        assert len(made) == 2

    def test_the_oldest_entry_is_dropped_beyond_the_bound(self) -> None:
        made, resolve = counting()
        cache = ReleaseCache(300, max_entries=2)
        keys = [(uuid.uuid4(), None) for _ in range(3)]
        for key in keys:
            cache.get(key, resolve)  # type: ignore[arg-type]
        cache.get(keys[0], resolve)  # type: ignore[arg-type]
        assert len(made) == 4
