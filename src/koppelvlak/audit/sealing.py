"""Turns one disclosure into the rows of its ledger entry: a fresh salt, commitments, the hash.

Split in two so ``record`` holds the board's chain lock as briefly as it can: ``draft``
computes everything that does not depend on the place in the chain (the salt, every
person's commitment in bulk, the payload commitment) before the lock; ``seal`` adds the
sequence, the previous hash and the time under it. The bulk loader of the benchmark seals
entries the same way, without a database round trip per entry.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from koppelvlak.audit import ledger
from koppelvlak.audit.values import Channel, Disclosure

# A person's key as the writer holds it: (person number, secret key).
WriterKey = tuple[int, bytes]


@dataclass(frozen=True)
class Draft:
    """An entry's payload, committed to, before it has a place in the chain."""

    entry_id: uuid.UUID
    salt: str
    attribute_ids: str
    people: tuple[int, ...]  # person numbers, sorted
    payload_commitment: str


@dataclass(frozen=True)
class SealedEntry:
    """Column values for ``audit_entry`` and ``audit_payload``."""

    entry: dict[str, Any]
    payload: dict[str, Any]
    entry_hash: str


def draft(
    disclosure: Disclosure, entry_id: uuid.UUID, keys: Mapping[uuid.UUID, WriterKey]
) -> Draft:
    """Commit to the payload; ``keys`` must hold a key for every person disclosed."""
    attribute_ids = ledger.canonical_attributes(disclosure.attribute_ids)
    salt = secrets.token_hex(16)
    entry_hex = entry_id.hex.encode()
    numbers, commitments = [], []
    for person_id in disclosure.person_ids:
        number, key = keys[person_id]
        numbers.append(number)
        commitments.append(ledger.person_commitment(key, entry_hex, person_id.hex.encode()))
    return Draft(
        entry_id=entry_id,
        salt=salt,
        attribute_ids=attribute_ids,
        people=tuple(sorted(numbers)),
        payload_commitment=ledger.payload_commitment(
            salt, disclosure.query, attribute_ids, commitments
        ),
    )


def seal(
    disclosure: Disclosure,
    drafted: Draft,
    *,
    sequence: int,
    previous_hash: str,
    recorded_at: datetime,
) -> SealedEntry:
    board_id = disclosure.board_id
    entry_id = drafted.entry_id
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
        payload_commitment=drafted.payload_commitment,
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
            "payload_commitment": drafted.payload_commitment,
            "entry_hash": entry_hash,
        },
        payload={
            "board_id": board_id,
            "sequence": sequence,
            "salt": drafted.salt,
            "query": disclosure.query,
            "attribute_ids": drafted.attribute_ids,
            "people": drafted.people or None,
        },
        entry_hash=entry_hash,
    )
