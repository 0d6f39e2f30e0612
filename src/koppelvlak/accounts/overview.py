"""Read models for the board's pages: the dashboard's figures and the disclosures per day.

Across contexts, like ``connections/flows.py``: it asks each context's own service where one
exists (connections, audit) and counts rows only where no service counts them yet (ledger entries
per day, the last import). Every count is for one board. The ledger check is bounded: a chain of
at most ``VERIFY_LIMIT`` entries is verified on the page; a longer one says to run
``koppelvlak audit verify``, so a dashboard never takes a minute to render.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.audit.models import Entry
from koppelvlak.connections import service as connections
from koppelvlak.connections.schemas import ConnectionView
from koppelvlak.kit.clock import as_utc
from koppelvlak.roster.history import ImportRunView, import_runs

VERIFY_LIMIT = 20_000
WAITING = frozenset({"requested", "approved"})


@dataclass(frozen=True)
class Dashboard:
    waiting: tuple[ConnectionView, ...]  # requested, approved (DPO), or a pending new version
    by_state: dict[str, int]
    disclosures_today: int
    ledger_entries: int
    ledger_ok: bool | None  # None: too long to check on a page
    last_import: ImportRunView | None


def dashboard(session: Session, board_id: uuid.UUID, at: datetime) -> Dashboard:
    views = connections.connections_for_board(session, board_id, at)
    start = datetime.combine(as_utc(at).date(), time.min, tzinfo=UTC)
    entries = _count(session, board_id)
    ledger_ok = audit.verify(session, board_id).ok if entries <= VERIFY_LIMIT else None
    return Dashboard(
        waiting=tuple(v for v in views if v.state in WAITING or v.pending_version is not None),
        by_state=dict(sorted(Counter(v.state for v in views).items())),
        disclosures_today=_count(session, board_id, since=start),
        ledger_entries=entries,
        ledger_ok=ledger_ok,
        last_import=next(iter(import_runs(session, board_id, limit=1)), None),
    )


def _count(session: Session, board_id: uuid.UUID, since: datetime | None = None) -> int:
    query = select(func.count()).select_from(Entry).where(Entry.board_id == board_id)
    if since is not None:
        query = query.where(Entry.recorded_at >= since)
    return int(session.scalar(query) or 0)


def disclosures_per_day(
    session: Session,
    board_id: uuid.UUID,
    until: date,
    days: int = 14,
    provider_id: uuid.UUID | None = None,
) -> list[tuple[date, int]]:
    """Ledger entries per calendar day (UTC) for the last ``days`` days up to ``until``."""
    first = until - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    query = select(Entry.recorded_at).where(Entry.board_id == board_id, Entry.recorded_at >= since)
    if provider_id is not None:
        query = query.where(Entry.provider_id == provider_id)
    counts = Counter(as_utc(at).date() for at in session.scalars(query))
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def disclosures_by_provider(
    session: Session, board_id: uuid.UUID, until: date, days: int = 90
) -> list[tuple[date, uuid.UUID, int]]:
    """(day, provider id, ledger entries) for the last ``days`` days, oldest first."""
    since = datetime.combine(until - timedelta(days=days - 1), time.min, tzinfo=UTC)
    rows = session.execute(
        select(Entry.recorded_at, Entry.provider_id).where(
            Entry.board_id == board_id, Entry.recorded_at >= since
        )
    ).all()
    counts = Counter((as_utc(at).date(), provider) for at, provider in rows)
    return sorted(((d, p, n) for (d, p), n in counts.items()), key=lambda r: (r[0], str(r[1])))
