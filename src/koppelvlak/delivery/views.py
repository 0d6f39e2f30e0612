"""Deliveries and attempts as the admin API and the CLI show them: never the body."""

from __future__ import annotations

from datetime import datetime

from koppelvlak.delivery.models import DeliveryAttempt, DeliveryOutbox, DeliveryState
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import as_utc


class UnknownState(KoppelvlakError):
    status = 422
    title = "Unknown delivery state"


def state(text: str | None) -> str | None:
    if text is None or text in {s.value for s in DeliveryState}:
        return text
    raise UnknownState(f"state must be one of pending, delivered, dead; not {text!r}")


def _moment(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def delivery(row: DeliveryOutbox) -> dict[str, object]:
    return {
        "id": str(row.id),
        "connectionId": str(row.connection_id),
        "providerId": str(row.provider_id),
        "kind": row.kind,
        "url": row.url,
        "state": row.state,
        "attempts": row.attempts,
        "createdAt": _moment(row.created_at),
        "nextAttemptAt": _moment(row.next_attempt_at) if row.state == "pending" else None,
        "deliveredAt": _moment(row.delivered_at),
        "lastError": row.last_error,
        "bodyDigest": row.body_digest,
        "ledgerEntryId": None if row.ledger_entry_id is None else str(row.ledger_entry_id),
    }


def attempt(row: DeliveryAttempt) -> dict[str, object]:
    return {
        "number": row.number,
        "startedAt": _moment(row.started_at),
        "durationMs": row.duration_ms,
        "statusCode": row.status_code,
        "error": row.error,
        "worker": row.worker,
    }
