"""Every query on stored results, always within one board."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from koppelvlak.results.models import ResultBatch, ResultScore, ResultTest
from koppelvlak.roster.models import Student

RESULTS_LOCK_CLASS = 0x4B56_0001  # the first of a pg_advisory_xact_lock(class, object) pair


def lock_pushes(session: Session, connection_id: uuid.UUID) -> None:
    """Make pushes to one connection take turns until the transaction ends (ADR 0004).

    A push replaces the results it re-sends: delete, then insert. Two pushes of the same result
    key at once on PostgreSQL would both delete nothing and the second insert would fail on the
    unique key; a transaction-scoped advisory lock per connection queues them instead (another
    connection hashing to the same lock only waits its turn). On SQLite the writing unit of work
    holds the database's write lock from ``BEGIN IMMEDIATE`` on, so nothing is needed.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    objid = int.from_bytes(connection_id.bytes[:4], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(RESULTS_LOCK_CLASS, objid)))


def delete_scores(session: Session, connection_id: uuid.UUID, keys: Sequence[str]) -> int:
    if not keys:
        return 0
    result = session.execute(
        delete(ResultScore)
        .where(ResultScore.connection_id == connection_id, ResultScore.result_key.in_(keys))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def scores(
    session: Session,
    board_id: uuid.UUID,
    *,
    brin: str | None = None,
    location_code: str | None = None,
    connection_id: uuid.UUID | None = None,
) -> Sequence[Row[ResultScore, ResultBatch, Student]]:
    """Scores with their batch and student, oldest first, for one board."""
    query = (
        select(ResultScore, ResultBatch, Student)
        .join(ResultBatch, ResultBatch.id == ResultScore.batch_id)
        .join(Student, Student.id == ResultScore.student_id)
        .where(ResultScore.board_id == board_id, ResultBatch.board_id == board_id)
        .order_by(ResultBatch.received_at, Student.source_key, ResultScore.result_key)
    )
    if brin is not None:
        query = query.where(ResultBatch.brin == brin)
    if location_code is not None:
        query = query.where(ResultBatch.location_code == location_code)
    if connection_id is not None:
        query = query.where(ResultScore.connection_id == connection_id)
    return session.execute(query).all()


def tests_for(
    session: Session, board_id: uuid.UUID, batch_ids: Sequence[uuid.UUID]
) -> Sequence[ResultTest]:
    """Test definitions of these batches, newest batch last (so it wins per code)."""
    if not batch_ids:
        return []
    query = (
        select(ResultTest)
        .join(ResultBatch, ResultBatch.id == ResultTest.batch_id)
        .where(ResultTest.board_id == board_id, ResultTest.batch_id.in_(batch_ids))
        .order_by(ResultBatch.received_at)
    )
    return session.scalars(query).all()
