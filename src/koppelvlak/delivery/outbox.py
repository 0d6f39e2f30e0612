"""Writing a delivery: the ledger entry and the outbox row, in the caller's transaction.

The body is rendered and fixed here, once: its digest goes to the ledger (channel ``push``)
and the row keeps the exact bytes, so every retry, by any worker, after any crash, sends the
same bytes under the same delivery id (the ``Idempotency-Key``). Because the ledger entry is
written in the same transaction as the row, it is committed before any worker can claim the
row, let alone send it (DESIGN invariant 1). See ADR 0100.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.delivery.models import DeliveryOutbox, DeliveryState


def render(document: Mapping[str, object]) -> str:
    """Compact, key-ordered JSON: the exact text that is signed, recorded and sent."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def enqueue(
    session: Session,
    *,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    provider_id: uuid.UUID,
    kind: str,
    url: str,
    document: Mapping[str, object],
    person_ids: frozenset[uuid.UUID],
    attribute_ids: frozenset[str],
    at: datetime,
) -> DeliveryOutbox:
    """Record the disclosure and write the delivery; nothing is sent until a worker claims it."""
    delivery_id = uuid.uuid4()
    body = render({"deliveryId": str(delivery_id), "kind": kind, **document})
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    receipt = audit.record(
        session,
        Disclosure(
            board_id=board_id,
            provider_id=provider_id,
            connection_id=connection_id,
            channel=Channel.PUSH,
            endpoint=f"POST push {kind}",
            query=f"delivery={delivery_id}",
            attribute_ids=attribute_ids,
            person_ids=person_ids,
            response_digest=digest,
        ),
        at,
    )
    row = DeliveryOutbox(
        id=delivery_id,
        board_id=board_id,
        connection_id=connection_id,
        provider_id=provider_id,
        kind=kind,
        url=url,
        body=body,
        body_digest=digest,
        ledger_entry_id=receipt.entry_id,
        created_at=at,
        state=DeliveryState.PENDING.value,
        attempts=0,
        next_attempt_at=at,
    )
    session.add(row)
    return row
