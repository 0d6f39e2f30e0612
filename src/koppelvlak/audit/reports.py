"""Frozen values the ledger hands back: verification reports and disclosure views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from koppelvlak.audit.ledger import Break, BreakKind
from koppelvlak.audit.values import Channel

__all__ = [
    "Break",
    "BreakKind",
    "ChainReport",
    "PersonDisclosure",
    "ProviderDisclosure",
    "VerifyReport",
]


@dataclass(frozen=True)
class ChainReport:
    """One board's chain: how many entries verified, what was erased, where it broke."""

    board_id: uuid.UUID
    board_code: str | None
    entries: int
    erased_subjects: int
    erased_payloads: int
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class VerifyReport:
    chains: tuple[ChainReport, ...]

    @property
    def ok(self) -> bool:
        return all(chain.ok for chain in self.chains)

    @property
    def entries(self) -> int:
        return sum(chain.entries for chain in self.chains)

    @property
    def broken(self) -> tuple[ChainReport, ...]:
        return tuple(chain for chain in self.chains if not chain.ok)


@dataclass(frozen=True)
class PersonDisclosure:
    """One disclosure as the person concerned may see it: when, to whom, which attributes.

    ``attribute_ids`` and ``query`` are None once retention has erased the entry's payload.
    """

    entry_id: uuid.UUID
    board_id: uuid.UUID
    sequence: int
    recorded_at: datetime
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    channel: Channel
    endpoint: str
    response_digest: str
    attribute_ids: frozenset[str] | None
    query: str | None


@dataclass(frozen=True)
class ProviderDisclosure(PersonDisclosure):
    """One disclosure as the school sees it per provider, with the people it was about."""

    person_ids: frozenset[uuid.UUID]
    erased_people: int
