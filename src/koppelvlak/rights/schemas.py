"""What the rights interfaces accept and answer: request bodies and request views."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from koppelvlak.kit.clock import as_utc
from koppelvlak.rights.models import RequestKind, RightsRequest, RightsRequestEvent


class FileRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RequestKind
    person_id: uuid.UUID
    provider_id: uuid.UUID | None = Field(
        default=None, description="For an objection or restriction: only this provider"
    )
    contact_email: str | None = Field(default=None, max_length=256)
    details: str | None = Field(default=None, max_length=2_000)


class ReasonBody(BaseModel):
    """A reason: required (the service says so with a 422) for a refusal or an extension."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2_000)


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2_000)


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RequestKind
    person_id: uuid.UUID
    guardian_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    valid_days: int = Field(default=14, ge=1, le=60)


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class StepOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None

    @classmethod
    def of(cls, event: RightsRequestEvent) -> StepOut:
        return cls(
            seq=event.seq,
            at=as_utc(event.at),
            actor=event.actor,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            reason=event.reason,
        )


class RequestOut(BaseModel):
    id: uuid.UUID
    kind: str
    state: str
    channel: str
    person_kind: str
    person_id: uuid.UUID | None  # None once the person is erased
    provider_id: uuid.UUID | None
    filed_by: str
    received_at: datetime
    deadline: datetime
    extended: bool
    extension_reason: str | None
    refusal_reason: str | None
    outcome: str | None
    closed_at: datetime | None
    steps: list[StepOut] | None = None

    @classmethod
    def of(
        cls, request: RightsRequest, steps: list[RightsRequestEvent] | None = None
    ) -> RequestOut:
        return cls(
            id=request.id,
            kind=request.kind.value,
            state=request.state.value,
            channel=request.channel.value,
            person_kind=request.person_kind.value,
            person_id=request.person_id,
            provider_id=request.provider_id,
            filed_by=request.filed_by,
            received_at=as_utc(request.received_at),
            deadline=as_utc(request.deadline),
            extended=request.extended_at is not None,
            extension_reason=request.extension_reason,
            refusal_reason=request.refusal_reason,
            outcome=request.outcome,
            closed_at=None if request.closed_at is None else as_utc(request.closed_at),
            steps=None if steps is None else [StepOut.of(e) for e in steps],
        )


class FiledByLinkOut(BaseModel):
    request_id: uuid.UUID
    kind: str
    state: str
    deadline: datetime
