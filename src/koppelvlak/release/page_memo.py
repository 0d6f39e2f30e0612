"""What a process remembers between pages of the kept release: totals and signposts.

Both are remembered per set of head versions: a kept row never changes without its
connection's version moving (the rule the ETag rests on, ADR 0145), so what was counted or
listed for those versions stays exact until one of them moves, and a new version is a new key.
Nothing is remembered from a transaction that writes: a version it made may yet roll back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Versions = tuple[tuple[str, int], ...]  # (connection id, version) of every head, sorted

SIGNPOST_EVERY = 1_000  # a page skips at most this many index entries of its offset
_KEPT = 512  # entries per memo; a full memo starts afresh

_totals: dict[tuple[object, ...], int] = {}
_signposts: dict[tuple[object, ...], list[str]] = {}


class Rows(Protocol):
    """The page's reader: its driver-level statements, and whether its transaction writes."""

    writing: bool

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...


def _remember(memo: dict[tuple[object, ...], Any], key: tuple[object, ...], value: Any) -> None:
    if len(memo) >= _KEPT:
        memo.clear()
    memo[key] = value


def total(
    reader: Rows, versions: Versions, count: tuple[str, Sequence[object]], what: Sequence[object]
) -> int:
    """The result of the ``count`` statement, once per set of versions and filter ``what``."""
    key = (versions, *what)
    cached = _totals.get(key)
    if cached is not None:
        return cached
    found = int(reader.rows(*count)[0][0])
    if not reader.writing:
        _remember(_totals, key, found)
    return found


def skip(
    reader: Rows,
    versions: Versions,
    listing: tuple[str, Sequence[object]],
    what: Sequence[object],
    offset: int,
) -> tuple[str | None, int]:
    """Where a page at ``offset`` starts: after which key, and the offset left from there.

    ``OFFSET`` walks every skipped entry of the index, so a page in the middle of a
    50,000-student board cost several times one at its start. Every ``SIGNPOST_EVERY``-th key
    in page order is remembered (``listing`` lists every key of the page's filter in page
    order); a page seeks past the signpost before its offset and skips fewer than
    ``SIGNPOST_EVERY`` entries from there.
    """
    every = SIGNPOST_EVERY
    if offset < every:
        return None, offset
    key = (versions, *what)
    posts = _signposts.get(key)
    if posts is None:
        posts = [str(k) for (k,) in reader.rows(*listing)[every - 1 :: every]]
        if not reader.writing:
            _remember(_signposts, key, posts)
    block = min(offset // every, len(posts))
    if block == 0:
        return None, offset
    return posts[block - 1], offset - block * every


def forget() -> None:
    """Drop everything remembered (tests, and nothing else needs it)."""
    _totals.clear()
    _signposts.clear()


def remembered() -> int:
    return len(_totals) + len(_signposts)
