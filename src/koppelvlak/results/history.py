"""What providers sent back, batch by batch, as the school's pages show it.

A batch is one accepted ``BrengLeerresultaten`` push. The page shows who sent it, for which
school and year, and how many results about how many students — the results themselves stay
behind ``koppelvlak results list``/``export``, which the school's staff use per school.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc
from koppelvlak.results.models import ResultBatch, ResultScore

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class ResultBatchView:
    received_at: datetime
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    brin: str
    location_code: str
    school_year: str
    results: int
    students: int
    comment: str | None


def received_batches(
    session: Session, board_id: uuid.UUID, *, limit: int = HISTORY_LIMIT
) -> list[ResultBatchView]:
    """The board's last ``limit`` result batches, newest first, with what each still holds.

    Counts are of the scores kept now: a result re-sent later replaces the earlier one, and an
    erasure or purge removes a person's results, so an old batch may count fewer than it
    brought, down to none.
    """
    scores = (
        select(
            ResultScore.batch_id.label("batch_id"),
            func.count(ResultScore.id).label("results"),
            func.count(distinct(ResultScore.student_id)).label("students"),
        )
        .where(ResultScore.board_id == board_id)
        .group_by(ResultScore.batch_id)
        .subquery()
    )
    rows = session.execute(
        select(ResultBatch, scores.c.results, scores.c.students)
        .outerjoin(scores, scores.c.batch_id == ResultBatch.id)
        .where(ResultBatch.board_id == board_id)
        .order_by(ResultBatch.received_at.desc(), ResultBatch.id)
        .limit(limit)
    )
    return [
        ResultBatchView(
            received_at=as_utc(batch.received_at),
            provider_id=batch.provider_id,
            connection_id=batch.connection_id,
            brin=batch.brin,
            location_code=batch.location_code,
            school_year=batch.school_year,
            results=int(results or 0),
            students=int(students or 0),
            comment=batch.comment,
        )
        for batch, results, students in rows
    ]
