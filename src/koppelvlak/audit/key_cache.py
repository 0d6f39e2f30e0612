"""A process's memo of its boards' person keys, for the append's ``prepare`` (ADR 0140).

Every page names about a hundred people, and ``prepare`` read their keys on every page: a
100-id query, the ledger's largest read. A person's key never changes while it exists; only
an erasure destroys it (``audit.repository.erase_person``), and that moves the board's
``erasures`` count in the same transaction. So ``prepare`` keeps the keys it read, per
database and board, stamped with what it read just before them: the erasure count and the id
of the chain's first entry (a board removed and made again, as ``koppelvlak demo`` does with
its fixed ids, starts a new chain with a new first entry). A page uses the memo only when the
stamp it has just read is the memo's; any other stamp empties that board's memo first. An
erasure between that read and the chain lock is caught under the lock as before (the count
moved: keys read again, ADR 0032), so an erased person's key is never used after the erasure
committed. It can linger in a worker's memory until that worker's next page of the board
(the erasing process forgets it at once); it never reaches disk or a log.

Only keys read from the database are learnt, never keys made in a transaction that has not
committed. Bounded: past ``LIMIT`` keys in all, the memo starts again.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterable

from sqlalchemy import Engine

from koppelvlak.audit.sealing import WriterKey

LIMIT = 200_000  # keys per process, all boards together (~50 MB at most)
Stamp = tuple[int, str]  # (erasures, first entry's id as stored); see the module docstring
Keys = dict[str, WriterKey]  # person id (32 hex digits) -> (number, key)


class KeyCache:
    """The memo of one database (``for_engine`` keeps one per engine and process)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._boards: dict[uuid.UUID, tuple[Stamp, Keys]] = {}
        self._size = 0
        self._guard = threading.Lock()

    def known(self, board_id: uuid.UUID, stamp: Stamp, people: Iterable[str]) -> Keys:
        """The memoised keys of these people (hex ids), if the board's stamp is still ``stamp``."""
        with self._guard:
            found = self._boards.get(board_id)
            if found is None or found[0] != stamp:
                self._drop(board_id)
                return {}
            keys = found[1]
            return {person: keys[person] for person in people if person in keys}

    def learn(self, board_id: uuid.UUID, stamp: Stamp, keys: Keys) -> None:
        """Keep keys read from the database after the board's stamp read ``stamp``."""
        if not keys:
            return
        with self._guard:
            found = self._boards.get(board_id)
            if found is not None and found[0] != stamp:
                return  # another page saw another stamp since; its memo stays
            if self._size + len(keys) > self._limit:
                self._boards.clear()
                self._size = 0
                found = None
            if found is None:
                found = self._boards[board_id] = (stamp, {})
            before = len(found[1])
            found[1].update(keys)
            self._size += len(found[1]) - before

    def forget(self, board_id: uuid.UUID) -> None:
        """Drop the board's keys (this process erased someone of it)."""
        with self._guard:
            self._drop(board_id)

    def size(self) -> int:
        with self._guard:
            return self._size

    def _drop(self, board_id: uuid.UUID) -> None:
        found = self._boards.pop(board_id, None)
        if found is not None:
            self._size -= len(found[1])


_caches: weakref.WeakKeyDictionary[Engine, KeyCache] = weakref.WeakKeyDictionary()
_caches_guard = threading.Lock()


def for_engine(engine: Engine) -> KeyCache:
    """This process's memo for the engine's database, made on first use."""
    with _caches_guard:
        found = _caches.get(engine)
        if found is None:
            found = _caches[engine] = KeyCache()
        return found
