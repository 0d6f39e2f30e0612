"""Ledger use cases: record a disclosure, verify the chains, erase a person, read the views.

``record`` appends in the caller's transaction and never commits; the caller commits before
it sends anything, so a disclosure that could not be recorded is never sent (DESIGN
invariant 1, ADR 0002). Any database failure while recording becomes ``LedgerUnavailable``
(503), which every interface renders as "nothing was sent".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from koppelvlak.audit import (
    appends,
    chain_reads,
    group_commit,
    key_cache,
    ledger,
    parallel,
    repository,
    sealing,
)
from koppelvlak.audit.errors import LedgerUnavailable, UnknownBoard
from koppelvlak.audit.reports import (
    ChainReport,
    PersonDisclosure,
    ProviderDisclosure,
    VerifyReport,
)
from koppelvlak.audit.values import Channel, Disclosure, LedgerReceipt
from koppelvlak.db import short_reason
from koppelvlak.kit.clock import as_utc, utcnow

Progress = Callable[[int, int], None]  # (entries just verified, total entries expected)


@contextmanager
def ledger_writes() -> Iterator[None]:
    """Turn any database failure inside the block into ``LedgerUnavailable`` (503).

    ``record`` uses it; an interface can wrap its commit in it too, so a failed commit of
    the ledger entry also answers 503 and sends nothing.
    """
    try:
        yield
    except SQLAlchemyError as error:
        raise LedgerUnavailable(short_reason(error)) from error


def record(session: Session, disclosure: Disclosure, at: datetime | None = None) -> LedgerReceipt:
    """Append one disclosure to its board's chain, in the caller's transaction (no commit).

    On PostgreSQL the keys are read and every commitment computed before the chain lock. On
    SQLite the head is taken first: in a transaction that began deferred, reading before
    writing risks a failed lock upgrade (ADR 0004); the interfaces use ``prepare`` and
    ``commit`` instead, which read in their own read transaction.
    """
    with ledger_writes():
        driver = appends.Driver.of(session.connection())
        prepared = appends.prepare(driver, disclosure, read_keys=driver.native)
        return appends.write(driver, [prepared], at)[0]


def prepare(session: Session, disclosures: Sequence[Disclosure]) -> list[sealing.Prepared]:
    """Ready the entries of one response in a read transaction, before any lock (ADR 0032).

    Reads the board's erasure count and the people's keys and computes every commitment;
    ``commit`` writes them. An erasure in between is noticed under the lock.
    """
    with ledger_writes():
        connection = session.connection()
        driver = appends.Driver.of(connection)
        cache = key_cache.for_engine(connection.engine)
        return [appends.prepare(driver, disclosure, cache=cache) for disclosure in disclosures]


def commit(engine: Engine, prepared: Sequence[sealing.Prepared]) -> list[LedgerReceipt]:
    """Append and commit one response's entries; returns once they are committed.

    Concurrent requests of this process share a transaction (group commit, ``group_commit``).
    Any failure raises ``LedgerUnavailable`` for every request of the failed transaction, so
    none of them is sent (DESIGN invariant 1).
    """
    with ledger_writes():
        return group_commit.for_engine(engine).append(prepared)


def verify(
    session: Session,
    board_id: uuid.UUID | None = None,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    stretch: int = 50_000,
) -> VerifyReport:
    """Check every chain (or one board's) from its first entry; name the first break of each.

    With ``workers`` > 1 a chain longer than two stretches is checked by that many processes
    reading committed data through their own connections (``audit.parallel``).
    """
    chains = chain_reads.chains(session, board_id)
    total = sum(head or 0 for _, _, head, _ in chains)

    def advance(count: int) -> None:
        if progress is not None:
            progress(count, total)

    reports = []
    for chain_board, code, head_sequence, head_hash in chains:
        if workers > 1 and head_sequence is not None and head_sequence > 2 * stretch:
            check = parallel.verify_in_stretches(
                session,
                session.get_bind().engine.url.render_as_string(hide_password=False),
                parallel.stretches(chain_board, head_sequence, head_hash, stretch),
                workers=workers,
                progress=advance,
            )
        else:
            check = parallel.walk(
                session,
                parallel.Stretch(chain_board, 1, None, head_sequence, head_hash),
                ledger.GENESIS,
                chain_reads.verification_keys(session, chain_board),
                progress=advance,
            )
        reports.append(
            ChainReport(
                board_id=chain_board,
                board_code=code,
                entries=check.entries,
                erased_subjects=check.erased_subjects,
                erased_payloads=check.erased_payloads,
                broken=check.broken,
            )
        )
    return VerifyReport(chains=tuple(reports))


def board_by_code(session: Session, code: str) -> uuid.UUID:
    board_id = repository.board_id_for_code(session, code)
    if board_id is None:
        raise UnknownBoard(f"no board with code {code!r}")
    return board_id


def erase_person(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> int:
    """Remove one person from every disclosure of the board; returns how many entries named them.

    The person's number goes from each entry and their key is destroyed; their commitment
    stays in the entry, which without the key reveals nothing about them and keeps every
    payload commitment, and so the chain, verifiable (ADR 0031).
    """
    erased = repository.erase_person(session, board_id, person_id, utcnow())
    # Other processes drop their memo on their next page (the count moved); this one now.
    key_cache.for_engine(session.connection().engine).forget(board_id)
    return erased


def erase_payloads(session: Session, board_id: uuid.UUID, recorded_before: datetime) -> int:
    """Retention: forget the payloads (query, attributes, people) of older entries."""
    return repository.erase_payloads(session, board_id, as_utc(recorded_before), utcnow())


def _fields(row: Any) -> dict[str, Any]:
    return {
        "entry_id": row[0],
        "board_id": row[1],
        "sequence": row[2],
        "recorded_at": as_utc(row[3]),
        "provider_id": row[4],
        "connection_id": row[5],
        "channel": Channel(row[6]),
        "endpoint": row[7],
        "response_digest": row[8],
        "attribute_ids": None if row[9] is None else frozenset(json.loads(row[9])),
        "query": row[10],
    }


def disclosures_for_person(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> tuple[PersonDisclosure, ...]:
    """Which providers received what about this person, when (oldest first)."""
    rows = repository.person_disclosures(session, board_id, person_id)
    return tuple(PersonDisclosure(**_fields(row)) for row in rows)


def disclosures_for_provider(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[ProviderDisclosure, ...]:
    """What one provider received from this board in ``[since, until)``, with the people."""
    rows = repository.provider_disclosures(
        session,
        board_id,
        provider_id,
        None if since is None else as_utc(since),
        None if until is None else as_utc(until),
    )
    people = repository.people_by_number(
        session, board_id, (number for row in rows for number in row.people or ())
    )
    return tuple(
        ProviderDisclosure(
            **_fields(row),
            person_ids=frozenset(people[n] for n in row.people or () if n in people),
            erased_people=repository.erased_people(row.erased, row.v1_subjects),
        )
        for row in rows
    )
