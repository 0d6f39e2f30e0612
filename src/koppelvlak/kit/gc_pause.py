"""Pause Python's cyclic garbage collector while a large batch of values is built.

Used by the release engine and the roster import. A 50,000-person release allocates some
half a million containers (rows, sets, dicts, frozen
values) that all stay alive until it returns, and none of them form cycles. Each allocation
burst triggers collections that walk the growing heap again and again: a third of a board's
release time went into the collector, finding nothing. Reference counting still frees
everything as usual; the collector is switched back on when the last concurrent release ends,
and only if it was on before (ADR 0026). A 50,000-student UWLR import is the same shape
(records, links, row tuples that live until the sync ends): 15 % of its parsing went into the
collector (ADR 0070).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled  # noqa: PLW0603  (one process-wide collector switch)
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
