"""Turns one disclosure into the rows of its ledger entry: a fresh salt, commitments, the hash.

Split in two so an append holds the board's chain lock as briefly as it can: ``draft``
computes everything that does not depend on the place in the chain (the salt, every
person's commitment in bulk, the payload commitment) before the lock; ``seal`` adds the
sequence, the previous hash and the time under it (``appends.write``, ADR 0032).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from koppelvlak.audit import ledger
from koppelvlak.audit.values import Channel, Disclosure, LedgerReceipt

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


@dataclass(frozen=True, slots=True)
class Prepared:
    """One disclosure made ready before the chain lock is taken (ADR 0032).

    ``epoch`` is the board's erasure count when the keys were read (None: not read); under the
    lock a moved count means the keys are read again. ``draft`` is None when someone had no
    key yet (they get one under the lock).
    """

    disclosure: Disclosure
    entry_id: uuid.UUID
    epoch: int | None
    draft: Draft | None


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """An entry with its place in the chain: the hashed header in canonical text, and its hash."""

    disclosure: Disclosure
    drafted: Draft
    header: ledger.Header
    recorded_at: datetime
    entry_hash: str

    def receipt(self) -> LedgerReceipt:
        return LedgerReceipt(
            entry_id=self.drafted.entry_id,
            board_id=self.disclosure.board_id,
            sequence=self.header.sequence,
            entry_hash=self.entry_hash,
            recorded_at=self.recorded_at,
        )


def draft(disclosure: Disclosure, entry_id: uuid.UUID, keys: Mapping[str, WriterKey]) -> Draft:
    """Commit to the payload; ``keys`` (by hex person id) must hold every person disclosed."""
    attribute_ids = ledger.canonical_attributes(disclosure.attribute_ids)
    salt = secrets.token_hex(16)
    entry_hex = entry_id.hex.encode()
    numbers, commitments = [], []
    for person_id in disclosure.person_ids:
        person_hex = person_id.hex
        number, key = keys[person_hex]
        numbers.append(number)
        commitments.append(ledger.person_commitment(key, entry_hex, person_hex.encode()))
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
    header = ledger.Header(
        entry_id=drafted.entry_id.hex,
        board_id=disclosure.board_id.hex,
        sequence=sequence,
        recorded_at=ledger.timestamp(recorded_at),
        provider_id=disclosure.provider_id.hex,
        connection_id=disclosure.connection_id.hex,
        channel=Channel(disclosure.channel).value,
        endpoint=disclosure.endpoint,
        response_digest=disclosure.response_digest,
        previous_hash=previous_hash,
        payload_commitment=drafted.payload_commitment,
    )
    return SealedEntry(disclosure, drafted, header, recorded_at, ledger.entry_hash(header))
