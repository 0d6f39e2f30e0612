"""The collector pause lives in ``kit.gc_pause`` since the roster import uses it too."""

from __future__ import annotations

from koppelvlak.kit.gc_pause import collector_paused

__all__ = ["collector_paused"]
