"""Values the connections context hands out: what a provider or an admin sees of a connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SchoolRef:
    brin: str
    location_code: str
    name: str


@dataclass(frozen=True)
class ConnectionView:
    connection_id: uuid.UUID
    board_id: uuid.UUID
    provider_id: uuid.UUID
    app_name: str
    state: str  # the state in force at the moment asked (an end date expires it)
    school: SchoolRef
    dataset_version: int
    attribute_ids: frozenset[str]  # the dataset's, minus the school's switched-off optional ones
    entity_types: frozenset[str]
    purpose: str
    lawful_basis: str
    uwlr_profile: str | None  # None | "smalle_set" | "lvs_set"
    delivery_mode: str
    school_id: uuid.UUID | None = None
    app_id: uuid.UUID | None = None
    scope_kind: str = "whole_school"
    licensed_only: bool = False
    pending_version: int | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class ConnectionEventView:
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: dict[str, object]
