"""What the interfaces hand to the ledger for one disclosure (contract between api and audit).

The ledger stores the header (who, when, which connection, which endpoint) in the hash chain
directly, and the personal payload (``person_ids``, ``attribute_ids``, the query) only as a
salted commitment, so erasure and retention can later delete the payload while the chain
still verifies (DESIGN invariant 6a).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    ONEROSTER = "oneroster"
    UWLR = "uwlr"
    PUSH = "push"


@dataclass(frozen=True)
class Disclosure:
    """One response that carried personal data, described before it is sent."""

    board_id: uuid.UUID
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    channel: Channel
    endpoint: str  # e.g. "GET /ims/oneroster/rostering/v1p2/users" or "HaalLeerlinggegevens"
    query: str  # the query string or request summary, without credentials
    attribute_ids: frozenset[str]
    person_ids: frozenset[uuid.UUID]  # internal ids of every person in the response
    response_digest: str  # sha256 hex of the exact bytes that will be sent


@dataclass(frozen=True)
class LedgerReceipt:
    """Proof that a disclosure was recorded: its place in the board's chain and its hash."""

    entry_id: uuid.UUID
    board_id: uuid.UUID
    sequence: int
    entry_hash: str
    recorded_at: datetime
