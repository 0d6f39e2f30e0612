"""What the mandate services return: frozen views, never ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ServiceView:
    name: str
    description: str | None


@dataclass(frozen=True)
class MandateView:
    mandate_id: uuid.UUID
    school: str  # BRIN and location, e.g. 99XX00
    service: str
    party_kind: str
    party: str
    valid_from: date
    valid_until: date | None
    decided_by: str
    decided_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    status: str  # valid | not_yet_valid | expired | revoked (on the day it is viewed)


@dataclass(frozen=True)
class RefusalView:
    school: str
    service: str
    party: str
    at: datetime
    reason: str
    connection_id: uuid.UUID | None


@dataclass(frozen=True)
class VerifyAnswer:
    """The public check's answer: the mandate's terms, or no; nothing else."""

    valid: bool
    school: str
    service: str
    party: str
    party_kind: str
    valid_from: date | None = None
    valid_until: date | None = None
