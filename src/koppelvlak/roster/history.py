"""The board's import history, as the admin pages show it: newest first, refusals included.

Read-only and board-scoped: a run that never reached a board (``board_id`` empty, the file was
refused before its board was known) belongs to no board's history and is shown to none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc
from koppelvlak.roster.models import ImportOutcome, ImportRun

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class ImportRunView:
    started_at: datetime
    finished_at: datetime | None
    source_kind: str
    source: str
    outcome: str
    counts: dict[str, dict[str, int]]  # per kind: added, changed, removed, total
    warnings: list[str]
    error: str | None
    location: str | None

    @property
    def ok(self) -> bool:
        return self.outcome == ImportOutcome.OK.value


def import_runs(
    session: Session, board_id: uuid.UUID, *, limit: int = HISTORY_LIMIT
) -> list[ImportRunView]:
    """The board's last ``limit`` import and sync attempts, newest first."""
    rows = session.scalars(
        select(ImportRun)
        .where(ImportRun.board_id == board_id)
        .order_by(ImportRun.started_at.desc(), ImportRun.id)
        .limit(limit)
    )
    return [
        ImportRunView(
            started_at=as_utc(run.started_at),
            finished_at=as_utc(run.finished_at) if run.finished_at else None,
            source_kind=run.source_kind,
            source=run.source,
            outcome=ImportOutcome(run.outcome).value,
            counts=_counts(run.counts),
            warnings=[str(w) for w in run.warnings or []],
            error=run.error,
            location=run.location,
        )
        for run in rows
    ]


def _counts(stored: dict[str, object] | None) -> dict[str, dict[str, int]]:
    """The stored counts per kind; anything else in the JSON (older runs) is left out."""
    found: dict[str, dict[str, int]] = {}
    for kind, figures in (stored or {}).items():
        if isinstance(figures, dict):
            found[str(kind)] = {str(k): v for k, v in figures.items() if type(v) is int}
    return found
