"""Group commit: the prepared entries of a process's waiting requests share one transaction.

Every response with personal data appends to its board's chain, and a board's appends are
serial: each one holds the chain head from its lock to its commit. When requests of one board
arrive together, the first becomes the *leader*: it takes every entry waiting in its queue,
writes them in one transaction (one head lock, one ``executemany`` per table, one head move,
one commit) and wakes the others with their receipts. Entries that arrive meanwhile queue for
the next leader. Nobody waits for a timer: a lone request commits at once (ADR 0032).

What invariant 1 needs holds per request: ``append`` returns only after the transaction that
holds the request's entries has committed, and if that transaction fails, every request in it
gets ``LedgerUnavailable`` (nothing is sent for any of them), never a receipt.

One queue per board on PostgreSQL (a row lock per board, so boards commit in parallel); one
queue per database on SQLite, whose write lock is database-wide. Across processes the database
lock decides who goes first on PostgreSQL; on a SQLite file the processes' leaders first queue
on a lock file (``writer_turn``, ADR 0141), so the next one wakes when the last one commits
instead of in SQLite's polling busy handler.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from koppelvlak.audit import appends
from koppelvlak.audit.errors import LedgerUnavailable
from koppelvlak.audit.sealing import Prepared
from koppelvlak.audit.values import LedgerReceipt
from koppelvlak.audit.writer_turn import writer_turn
from koppelvlak.db import short_reason

LIMIT = 64  # entries per transaction at most; more wait for the next one


@dataclass(eq=False)
class _Ticket:
    """One request's entries, and what became of them."""

    items: Sequence[Prepared]
    receipts: list[LedgerReceipt] = field(default_factory=list)
    reason: str | None = None  # the batch failed: why (for the logs)
    done: bool = False


@dataclass(eq=False)
class _Queue:
    ready: threading.Condition = field(default_factory=threading.Condition)
    waiting: list[_Ticket] = field(default_factory=list)
    busy: bool = False  # a leader is writing a batch
    batches: int = 0  # committed or failed, for tests and the curious


class GroupCommit:
    """The appender of one process for one database (``for_engine`` keeps one per engine)."""

    def __init__(self, engine: Engine, limit: int = LIMIT) -> None:
        self._engine = engine
        self._limit = limit
        self._per_board = engine.dialect.name == "postgresql"
        self._queues: dict[uuid.UUID | None, _Queue] = {}
        self._guard = threading.Lock()
        self._turn = writer_turn(engine)

    def append(self, items: Sequence[Prepared]) -> list[LedgerReceipt]:
        """Commit these entries (one request's), possibly with others; block until committed."""
        if not items:
            return []
        queue = self._queue(items)
        ticket = _Ticket(items)
        with queue.ready:
            queue.waiting.append(ticket)
            while queue.busy and not ticket.done:
                queue.ready.wait()
            batch = None if ticket.done else self._lead(queue, ticket)
        if batch is not None:
            self._run(queue, batch)
        if ticket.reason is not None:
            raise LedgerUnavailable(ticket.reason)
        return ticket.receipts

    def batches(self, board_id: uuid.UUID | None = None) -> int:
        """How many transactions the queue of this board (SQLite: the database) has run."""
        queue = self._queues.get(board_id if self._per_board else None)
        return 0 if queue is None else queue.batches

    def busy(self, board_id: uuid.UUID | None = None) -> bool:
        """Whether a leader is writing a batch for this board (SQLite: the database)."""
        queue = self._queues.get(board_id if self._per_board else None)
        if queue is None:
            return False
        with queue.ready:
            return queue.busy

    def waiting(self, board_id: uuid.UUID | None = None) -> int:
        """How many requests wait in the queue of this board (SQLite: the database)."""
        queue = self._queues.get(board_id if self._per_board else None)
        if queue is None:
            return 0
        with queue.ready:
            return len(queue.waiting)

    def _queue(self, items: Sequence[Prepared]) -> _Queue:
        # A request naming several boards queues with its lowest board id; ``write`` locks
        # boards in that order, so batches of different queues cannot deadlock.
        key = min((i.disclosure.board_id for i in items), key=lambda b: b.bytes)
        key_or_database = key if self._per_board else None
        with self._guard:
            return self._queues.setdefault(key_or_database, _Queue())

    def _lead(self, queue: _Queue, ticket: _Ticket) -> list[_Ticket]:
        """Become the leader: take the own ticket and the longest-waiting others (lock held)."""
        queue.busy = True
        queue.waiting.remove(ticket)
        batch, room = [ticket], self._limit - len(ticket.items)
        while queue.waiting and len(queue.waiting[0].items) <= room:
            other = queue.waiting.pop(0)
            batch.append(other)
            room -= len(other.items)
        return batch

    def _run(self, queue: _Queue, batch: list[_Ticket]) -> None:
        items = [item for ticket in batch for item in ticket.items]
        try:
            receipts = self._transaction(items)
        except SQLAlchemyError as error:
            self._settle(queue, batch, reason=short_reason(error))
        except BaseException as error:
            self._settle(queue, batch, reason=f"the ledger batch failed ({type(error).__name__})")
            raise
        else:
            start = 0
            for ticket in batch:
                ticket.receipts = receipts[start : start + len(ticket.items)]
                start += len(ticket.items)
            self._settle(queue, batch, reason=None)

    def _transaction(self, items: list[Prepared]) -> list[LedgerReceipt]:
        """One transaction on a pooled DBAPI connection: lock, write, commit (ADR 0032)."""
        with self._turn:
            return self._write(items)

    def _write(self, items: list[Prepared]) -> list[LedgerReceipt]:
        pooled = self._engine.raw_connection()
        try:
            driver = appends.Driver(pooled.dbapi_connection, self._engine.dialect)
            driver.begin_writing()
            try:
                receipts = appends.write(driver, items)
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
            return receipts
        finally:
            pooled.close()  # back to the pool

    @staticmethod
    def _settle(queue: _Queue, batch: list[_Ticket], *, reason: str | None) -> None:
        with queue.ready:
            for ticket in batch:
                ticket.reason = reason
                ticket.done = True
            queue.busy = False
            queue.batches += 1
            queue.ready.notify_all()


_appenders: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_appenders_guard = threading.Lock()


def for_engine(engine: Engine) -> GroupCommit:
    """This process's appender for the engine's database, made on first use."""
    with _appenders_guard:
        found = _appenders.get(engine)
        if found is None:
            found = _appenders[engine] = GroupCommit(engine)
        return found
