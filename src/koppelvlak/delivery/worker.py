"""The delivery worker's steps: claim due rows under a lease, send one, record the attempt.

Each step is its own short transaction, so nothing is held while a request is in flight:
``claim`` leases due rows to one worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers never take the same row; on SQLite the write lock taken at ``BEGIN IMMEDIATE`` makes
claimers take turns), ``send`` posts the stored body with its signature, and ``finish`` keeps
the attempt and moves the row: delivered, back to pending after an exponential back-off with
jitter, or dead after the last attempt. A worker killed mid-request leaves its lease to expire;
the next claimer sends the same bytes under the same id again, which the receiver's
idempotency check absorbs. Within one connection, rows go out in the order they were written:
a row is not claimed while an older one of its connection is pending (ADR 0100).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from koppelvlak.delivery import signing
from koppelvlak.delivery.errors import DeliveryUnknown
from koppelvlak.delivery.models import DeliveryAttempt, DeliveryOutbox, DeliveryState
from koppelvlak.errors import Conflict
from koppelvlak.kit.clock import as_utc

MAX_BACKOFF = timedelta(hours=6)
_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Policy:
    """How hard to try: from the settings, or small numbers in tests."""

    max_attempts: int = 8
    lease: timedelta = timedelta(seconds=60)
    backoff: timedelta = timedelta(seconds=2)
    timeout: float = 10.0


@dataclass(frozen=True, repr=False)
class Claimed:
    id: uuid.UUID
    board_id: uuid.UUID
    url: str
    body: bytes
    number: int  # this attempt's number, 1-based
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Claimed({self.id}, attempt {self.number})"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    started_at: datetime

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _due(at: datetime) -> list[object]:
    older = aliased(DeliveryOutbox)
    return [
        DeliveryOutbox.state == DeliveryState.PENDING.value,
        DeliveryOutbox.next_attempt_at <= at,
        or_(DeliveryOutbox.lease_until.is_(None), DeliveryOutbox.lease_until < at),
        ~exists().where(
            older.connection_id == DeliveryOutbox.connection_id,
            older.state == DeliveryState.PENDING.value,
            or_(
                older.created_at < DeliveryOutbox.created_at,
                and_(older.created_at == DeliveryOutbox.created_at, older.id < DeliveryOutbox.id),
            ),
        ),
    ]


def any_due(session: Session, at: datetime) -> bool:
    """Whether a claim would find work: an idle worker asks this without the write lock.

    On SQLite a claim takes the database's one write lock; an idle poller that took it twice a
    second would make every request's ledger commit and every import queue behind it.
    """
    return bool(session.scalar(select(exists().where(*_due(as_utc(at))))))  # type: ignore[arg-type]


def claim(
    session: Session,
    *,
    worker: str,
    at: datetime,
    secret: bytes,
    policy: Policy,
    limit: int = 10,
) -> list[Claimed]:
    """Lease up to ``limit`` due rows to ``worker`` and sign them; commit before sending."""
    at = as_utc(at)
    statement = (
        select(DeliveryOutbox)
        .where(*_due(at))  # type: ignore[arg-type]  # SQLAlchemy column expressions
        .order_by(DeliveryOutbox.next_attempt_at, DeliveryOutbox.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed: list[Claimed] = []
    stamp = int(at.timestamp())
    keyring: dict[uuid.UUID, list[signing.LiveKey]] = {}
    for row in session.scalars(statement).all():
        row.lease_owner, row.lease_until = worker, at + policy.lease
        body = row.body.encode("utf-8")
        if row.provider_id not in keyring:
            keyring[row.provider_id] = signing.live_keys(session, secret, row.provider_id, at)
        keys = keyring[row.provider_id]
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": str(row.id),
            "Koppelvlak-Delivery": str(row.id),
            signing.HEADER: signing.header(keys, stamp, row.id, body),
        }
        claimed.append(Claimed(row.id, row.board_id, row.url, body, row.attempts + 1, headers))
    session.flush()
    return claimed


def send(client: httpx.Client, claimed: Claimed, started_at: datetime) -> Outcome:
    """POST the stored bytes; never raises: every failure is an outcome to keep."""
    begin = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = client.post(claimed.url, content=claimed.body, headers=claimed.headers)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException:
        error = "timed out"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:_ERROR_LENGTH]
    duration = int((time.perf_counter() - begin) * 1000)
    return Outcome(status, error, duration, started_at)


def backoff(policy: Policy, attempts: int) -> timedelta:
    """Exponential, capped, with full jitter in its upper half (no thundering herd)."""
    delay = min(policy.backoff * (1 << min(max(attempts - 1, 0), 30)), MAX_BACKOFF)
    return delay * random.uniform(0.5, 1.0)  # noqa: S311  (jitter, not a secret)


def finish(
    session: Session,
    claimed: Claimed,
    outcome: Outcome,
    *,
    worker: str,
    at: datetime,
    policy: Policy,
) -> str:
    """Keep the attempt; move the row on if this worker still holds it. Returns its state."""
    at = as_utc(at)
    session.add(
        DeliveryAttempt(
            board_id=claimed.board_id,
            delivery_id=claimed.id,
            number=claimed.number,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            worker=worker[:64],
        )
    )
    row = session.get(DeliveryOutbox, claimed.id, with_for_update=True)
    if row is None:
        return "gone"
    if outcome.delivered:
        row.state, row.delivered_at, row.last_error = DeliveryState.DELIVERED.value, at, None
        row.body = ""  # delivered: the personal data need not stay here (the ledger has its digest)
        row.lease_owner = row.lease_until = None
        row.attempts = max(row.attempts, claimed.number)
    elif row.lease_owner == worker and row.state == DeliveryState.PENDING.value:
        row.attempts = claimed.number
        row.last_error = outcome.error
        row.lease_owner = row.lease_until = None
        if row.attempts >= policy.max_attempts:
            row.state = DeliveryState.DEAD.value
        else:
            row.next_attempt_at = at + backoff(policy, row.attempts)
    session.flush()
    return row.state


def retry(
    session: Session, *, board_id: uuid.UUID, delivery_id: uuid.UUID, at: datetime
) -> DeliveryOutbox:
    """An admin sends a dead delivery again: a fresh round of attempts, the same bytes."""
    row = session.get(DeliveryOutbox, delivery_id, with_for_update=True)
    if row is None or row.board_id != board_id:
        raise DeliveryUnknown(f"no delivery {delivery_id} in this board")
    if row.state == DeliveryState.DELIVERED.value:
        raise Conflict(f"delivery {delivery_id} was already delivered")
    row.state, row.attempts, row.next_attempt_at = DeliveryState.PENDING.value, 0, as_utc(at)
    row.lease_owner = row.lease_until = None
    session.flush()
    return row


def deliveries(
    session: Session, *, board_id: uuid.UUID, state: str | None = None, limit: int = 500
) -> list[DeliveryOutbox]:
    statement = select(DeliveryOutbox).where(DeliveryOutbox.board_id == board_id)
    if state is not None:
        statement = statement.where(DeliveryOutbox.state == state)
    statement = statement.order_by(DeliveryOutbox.created_at.desc()).limit(limit)
    return list(session.scalars(statement))


def delivery_of(session: Session, *, board_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryOutbox:
    """One delivery of this board; another board's answers as unknown (404)."""
    row = session.get(DeliveryOutbox, delivery_id)
    if row is None or row.board_id != board_id:
        raise DeliveryUnknown(f"no delivery {delivery_id} in this board")
    return row


def attempts(
    session: Session, *, board_id: uuid.UUID, delivery_id: uuid.UUID
) -> list[DeliveryAttempt]:
    delivery_of(session, board_id=board_id, delivery_id=delivery_id)
    statement = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.started_at, DeliveryAttempt.number)
    )
    return list(session.scalars(statement))
