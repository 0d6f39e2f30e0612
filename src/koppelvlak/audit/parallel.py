"""Verifies a long chain in stretches of sequence numbers, spread over worker processes.

Each entry's hash and payload can be checked on their own; only the links between stretches
need joining, which the parent does in chain order, so the first break is still the first.
Workers open their own connections and therefore see committed data only: this is for
``koppelvlak audit verify``, not for a transaction that has just written entries (ADR 0030).
They are never forked from the caller: forking a process that runs threads (a test runner, a
web server) can leave the child holding a lock no thread will release, and a child must not
share SQLite's per-process lock state. Where the platform has one, a fork *server* (a fresh
process that imports the program once) forks them: a spawned worker imports the whole
command again, some 1-3 CPU-s each (ADR 0156). Elsewhere they are spawned. A worker that
dies fails the run with ``BrokenProcessPool`` instead of hanging it.
"""

from __future__ import annotations

import multiprocessing
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.context import BaseContext

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from koppelvlak.audit import chain_reads, ledger, quick_walk
from koppelvlak.audit.ledger import GENESIS, Break, BreakKind, ChainCheck
from koppelvlak.db import make_engine

_engine: Engine | None = None
# Per board, read once per worker process (workers live for one verification run).
_keys: dict[uuid.UUID, dict[int, ledger.PersonKey]] = {}


def _context() -> BaseContext:
    """The fork server, with the program and this module imported before it forks a worker.

    ``__main__`` (a script) and the main module run with ``-m`` are imported in the server
    too: a worker would otherwise import it itself when it starts (as a spawned one does).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    main = [] if spec is None or spec.name.endswith("__main__") else [spec.name]
    context.set_forkserver_preload(["__main__", __name__, *main])
    return context


def _start_worker(url: str) -> None:
    global _engine  # noqa: PLW0603  (one engine per worker process, made once)
    _engine = make_engine(url)


@dataclass(frozen=True)
class Stretch:
    board_id: uuid.UUID
    first: int
    last: int | None  # None: to the end of the chain, where the chain head is checked too
    head_sequence: int | None
    head_hash: str | None


def _verify_stretch(stretch: Stretch) -> ChainCheck:
    assert _engine is not None
    with Session(_engine) as session:
        keys = _keys.get(stretch.board_id)
        if keys is None:
            keys = _keys[stretch.board_id] = chain_reads.verification_keys(
                session, stretch.board_id
            )
        return _walk(session, stretch, GENESIS if stretch.first == 1 else None, keys)


def _walk(
    session: Session,
    stretch: Stretch,
    previous: str | None,
    keys: dict[int, ledger.PersonKey] | None = None,
) -> ChainCheck:
    if keys is None:
        keys = chain_reads.verification_keys(session, stretch.board_id)
    return walk(session, stretch, previous, keys)


def walk(
    session: Session,
    stretch: Stretch,
    previous: str | None,
    keys: dict[int, ledger.PersonKey],
    progress: Callable[[int], None] | None = None,
) -> ChainCheck:
    """Verify one stretch: the quick walk first, then ``ledger.verify_chain`` from
    the first row the quick walk would not judge, which reports any break exactly."""
    board_id = stretch.board_id
    done = quick_walk.quick_walk(
        session,
        board_id,
        keys,
        first=stretch.first,
        last=stretch.last,
        previous=previous,
        progress=progress,
    )
    rows = (
        iter(())
        if done.resume is None
        else chain_reads.stream_chain(session, board_id, done.resume, stretch.last)
    )
    rest = ledger.verify_chain(
        board_id,
        rows,
        head_sequence=stretch.head_sequence,
        head_hash=stretch.head_hash,
        locate=partial(chain_reads.sequence_of_hash, session, board_id),
        keys=keys,
        missing_key=partial(chain_reads.verification_key, session, board_id),
        hashed=chain_reads.hashes_in_database(session),
        progress=progress,
        start=stretch.first + done.entries,
        previous=done.previous,
        final=stretch.last is None,
    )
    return replace(
        rest,
        entries=done.entries + rest.entries,
        erased_subjects=done.erased_subjects + rest.erased_subjects,
        erased_payloads=done.erased_payloads + rest.erased_payloads,
        first_previous=done.first_previous if done.entries else rest.first_previous,
    )


def stretches(
    board_id: uuid.UUID, head_sequence: int, head_hash: str | None, size: int
) -> list[Stretch]:
    firsts = list(range(1, head_sequence + 1, size))
    return [
        Stretch(
            board_id,
            first,
            None if first == firsts[-1] else first + size - 1,
            head_sequence,
            head_hash,
        )
        for first in firsts
    ]


def verify_in_stretches(
    session: Session,
    url: str,
    parts: list[Stretch],
    *,
    workers: int,
    progress: Callable[[int], None],
) -> ChainCheck:
    """Walk the stretches in ``workers`` processes and join them in order in this one."""
    board_id = parts[0].board_id
    entries = erased_subjects = erased_payloads = 0
    previous = GENESIS

    def result(broken: Break | None) -> ChainCheck:
        return ChainCheck(
            board_id, entries, erased_subjects, erased_payloads, broken, GENESIS, previous
        )

    pool = ProcessPoolExecutor(
        workers,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(url,),
    )
    try:
        for stretch, part in zip(parts, pool.map(_verify_stretch, parts), strict=True):
            if part.first_previous is not None and part.first_previous != previous:
                # The stretch does not join the one before: diagnose its first entry here.
                joint = _walk(session, replace(stretch, last=stretch.first), previous)
                return result(
                    joint.broken
                    or Break(
                        board_id,
                        stretch.first,
                        None,
                        BreakKind.CHANGED,
                        "the chain changed while it was being verified",
                    )
                )
            entries += part.entries
            erased_subjects += part.erased_subjects
            erased_payloads += part.erased_payloads
            if part.broken is not None:
                return result(part.broken)
            if stretch.last is not None and part.entries != stretch.last - stretch.first + 1:
                missing = stretch.first + part.entries
                return result(
                    Break(board_id, missing, None, BreakKind.REMOVED, f"entry {missing} is missing")
                )
            previous = part.last_hash
            progress(part.entries)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a break, skip the stretches left
    return result(None)
