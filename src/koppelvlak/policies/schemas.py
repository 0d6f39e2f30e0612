"""What the policies context answers with: frozen values, never ORM rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VersionView:
    number: int
    state: str
    minor_change: bool
    summary: str | None
    text_nl: str
    text_en: str
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    archived_at: datetime | None
    archived_by: str | None


@dataclass(frozen=True)
class PolicyView:
    policy_id: uuid.UUID
    code: str
    name: str
    audience: str
    required: bool
    connection_id: uuid.UUID | None
    active_version: int | None
    versions: tuple[VersionView, ...]


@dataclass(frozen=True)
class AcceptanceView:
    """One acceptance; ``counts`` says whether it still covers the policy's active version."""

    policy_id: uuid.UUID
    version: int
    subject_kind: str
    subject_id: uuid.UUID
    guardian_id: uuid.UUID | None
    accepted_at: datetime
    recorded_by: str
    consent_recorded: bool
    withdrawn_at: datetime | None
    counts: bool


@dataclass(frozen=True)
class PendingPerson:
    """Someone of the policy's audience with no acceptance that covers the version asked about."""

    kind: str
    person_id: uuid.UUID
    source_key: str
    name: str


@dataclass(frozen=True)
class Pending:
    policy_id: uuid.UUID
    version: int
    accepted: int
    people: tuple[PendingPerson, ...]
