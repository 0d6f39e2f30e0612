"""What the incident services return: frozen views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from koppelvlak.incidents.clock import Art33Clock


@dataclass(frozen=True)
class IncidentView:
    incident_id: uuid.UUID
    provider: str
    kind: str
    summary: str
    started_at: datetime | None
    reported_at: datetime
    reported_by: str
    connection_ids: tuple[uuid.UUID, ...]
    assessment: str | None
    notifiable: bool | None
    assessed_by: str | None
    assessed_at: datetime | None
    authority_notified_at: datetime | None
    authority_reference: str | None
    clock: Art33Clock


@dataclass(frozen=True)
class AffectedPeople:
    """Who the named connections disclosed data about (from the ledger)."""

    person_ids: tuple[uuid.UUID, ...]
    erased: int  # people whose ledger payload was erased: counted, no longer named
    disclosures: int


@dataclass(frozen=True)
class IncidentDetail:
    incident: IncidentView
    affected: AffectedPeople
