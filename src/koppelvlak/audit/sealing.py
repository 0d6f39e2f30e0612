"""Turns one disclosure into the rows of its ledger entry: fresh salts, commitments, hash.

Kept apart from the service so that the bulk loader of the benchmark seals entries exactly as
``record`` does, without a database round trip per entry.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from koppelvlak.audit import ledger
from koppelvlak.audit.values import Channel, Disclosure


@dataclass(frozen=True)
class SealedEntry:
    """Column values for ``audit_entry``, ``audit_payload`` and ``audit_subject``."""

    entry: dict[str, Any]
    payload: dict[str, Any]
    subjects: list[dict[str, Any]]
    entry_hash: str


def seal(
    disclosure: Disclosure,
    *,
    entry_id: uuid.UUID,
    sequence: int,
    previous_hash: str,
    recorded_at: datetime,
) -> SealedEntry:
    board_id = disclosure.board_id
    attribute_ids = ledger.canonical_attributes(disclosure.attribute_ids)
    details_salt = secrets.token_hex(16)
    details = ledger.details_commitment(details_salt, disclosure.query, attribute_ids)
    subjects: list[dict[str, Any]] = []
    for person_id in disclosure.person_ids:
        salt = secrets.token_hex(16)
        subjects.append(
            {
                "board_id": board_id,
                "sequence": sequence,
                "commitment": ledger.subject_commitment(salt, person_id.hex),
                "entry_id": entry_id,
                "person_id": person_id,
                "salt": salt,
            }
        )
    channel = Channel(disclosure.channel)
    header = ledger.Header(
        entry_id=entry_id.hex,
        board_id=board_id.hex,
        sequence=sequence,
        recorded_at=ledger.timestamp(recorded_at),
        provider_id=disclosure.provider_id.hex,
        connection_id=disclosure.connection_id.hex,
        channel=channel.value,
        endpoint=disclosure.endpoint,
        response_digest=disclosure.response_digest,
        previous_hash=previous_hash,
        payload_commitment=ledger.payload_commitment(
            details, [subject["commitment"] for subject in subjects]
        ),
    )
    entry_hash = ledger.entry_hash(header)
    return SealedEntry(
        entry={
            "id": entry_id,
            "board_id": board_id,
            "sequence": sequence,
            "recorded_at": recorded_at,
            "provider_id": disclosure.provider_id,
            "connection_id": disclosure.connection_id,
            "channel": channel,
            "endpoint": disclosure.endpoint,
            "response_digest": disclosure.response_digest,
            "previous_hash": previous_hash,
            "payload_commitment": header.payload_commitment,
            "entry_hash": entry_hash,
        },
        payload={
            "entry_id": entry_id,
            "board_id": board_id,
            "details_commitment": details,
            "salt": details_salt,
            "query": disclosure.query,
            "attribute_ids": attribute_ids,
        },
        subjects=subjects,
        entry_hash=entry_hash,
    )
