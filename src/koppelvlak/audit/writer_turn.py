"""SQLite: the ledger leaders of several processes take turns on a lock file (ADR 0141).

``koppelvlak serve --workers 2`` runs two processes, each with its own group commit, and
SQLite has one write lock per database. A leader that finds it taken waits in SQLite's busy
handler, which polls with growing sleeps (1, 2, 5, 10, … ms) while the holder's whole batch
takes about a millisecond: under load a leader slept longer than the work it waited for, and
the other process's next leader often got in first. So before ``BEGIN IMMEDIATE`` a leader
takes an exclusive ``flock`` on ``<database>-ledger.lock``: the kernel wakes the next waiter as
soon as the holder releases, in arrival order on Linux. The lock file holds nothing; the
kernel drops a dead process's lock with its descriptors. Other writers (imports, the kept
release refresh) do not take it and still meet the ledger in SQLite's own lock and busy
timeout, as before; the turn only orders the ledger's leaders among themselves.

PostgreSQL (row locks wake their waiters), in-memory SQLite and platforms without ``fcntl``
take no turn.
"""

from __future__ import annotations

import contextlib
import os
import threading
from types import TracebackType

from sqlalchemy import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover  (not on Linux/macOS)
    fcntl = None  # type: ignore[assignment]  # no turn is taken without it


class NoTurn:
    """PostgreSQL, an in-memory database, no ``fcntl``: the database alone orders writers."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None


class FileTurn:
    """An exclusive ``flock`` on a lock file next to the database, held for one batch."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._descriptor: int | None = None
        self._opening = threading.Lock()

    def _fd(self) -> int:
        with self._opening:
            if self._descriptor is None:
                self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            return self._descriptor

    def __enter__(self) -> None:
        fcntl.flock(self._fd(), fcntl.LOCK_EX)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        fcntl.flock(self._fd(), fcntl.LOCK_UN)

    def __del__(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)


def writer_turn(engine: Engine) -> NoTurn | FileTurn:
    """The turn the ledger's leaders take on this engine's database (see the module)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or fcntl is None or not database:
        return NoTurn()
    if database == ":memory:" or database.startswith("file:") or "mode=memory" in str(engine.url):
        return NoTurn()
    return FileTurn(os.path.abspath(database) + "-ledger.lock")
