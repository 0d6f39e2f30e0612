"""Request bodies of the admin API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from koppelvlak.connections.models import ConsentState, ScopeKind, UwlrProfile


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ConnectionRequest(BaseModel):
    brin: str = Field(min_length=4, max_length=4)
    location_code: str = Field(default="00", min_length=2, max_length=2)
    app_id: uuid.UUID
    uwlr_profile: UwlrProfile | None = None


class Scope(BaseModel):
    kind: ScopeKind
    group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    year_groups: list[str] = Field(default_factory=list, max_length=20)
    licensed_only: bool = False


class Switch(BaseModel):
    attribute: str = Field(min_length=1, max_length=64)
    on: bool = False


class Licences(BaseModel):
    keys: list[str] = Field(min_length=1, max_length=50_000)
    staff: bool = False


class ObjectionBody(BaseModel):
    provider_id: uuid.UUID
    person_id: uuid.UUID


class ConsentBody(BaseModel):
    provider_id: uuid.UUID
    student_id: uuid.UUID
    state: ConsentState
    decided_by: str = Field(min_length=1, max_length=200)
