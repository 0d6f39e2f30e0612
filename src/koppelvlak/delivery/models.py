"""Deletion notices, push registrations, signing keys, the outbox and its attempts.

A ``DeletionNotice`` tells one provider that one person it received (per the ledger) must go:
the provider knows the person only by the pseudonym it was sent, so the notice carries that and
the reason *category*, never the reason's personal detail. A ``DeliveryOutbox`` row is one
signed request, its body fixed when the row is written (in the transaction of the change that
causes it), so a retry never sends a different body under the same delivery id.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.db import Base, new_id, pd


class NoticeReason(enum.StrEnum):
    """Why a person must go from a provider: a category, never the personal detail."""

    ERASURE = "erasure"
    OUT_OF_SCOPE = "out_of_scope"
    OBJECTION = "objection"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    LEFT_SCHOOL = "left_school"
    CONNECTION_ENDED = "connection_ended"


class DeletionNotice(Base):
    __tablename__ = "deletion_notice"
    __table_args__ = (
        Index("ix_deletion_notice_provider_open", "provider_id", "acknowledged_at"),
        Index("ix_deletion_notice_board_person", "board_id", "person_id"),
        Index("ix_deletion_notice_board_due", "board_id", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    person_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    pseudonym: Mapped[str] = mapped_column(String(200), info=pd("identifier"))
    reason: Mapped[str] = mapped_column(String(24), info=pd("none"))  # a NoticeReason
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    due_at: Mapped[datetime] = mapped_column(info=pd("none"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    escalated_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class PushRegistration(Base):
    """A connection delivered by push: the provider's endpoint and how far it was sent."""

    __tablename__ = "delivery_push"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(index=True, info=pd("none"))
    url: Mapped[str] = mapped_column(String(2000), info=pd("none"))
    registered_at: Mapped[datetime] = mapped_column(info=pd("none"))
    registered_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    pushed_version: Mapped[int] = mapped_column(default=-1, info=pd("none"))  # kept version sent


class SigningKey(Base):
    """One version of a provider's push-signing key; the key itself is derived, never stored.

    The bytes are HMAC(session key, provider, version) (``delivery.signing``): usable to sign,
    nothing to steal from the database. A rotation adds a version; the old one signs along
    (a second signature) until ``retires_at``, as credentials overlap.
    """

    __tablename__ = "delivery_signing_key"
    __table_args__ = (UniqueConstraint("provider_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(index=True, info=pd("none"))
    version: Mapped[int] = mapped_column(info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    retires_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class DeliveryOutbox(Base):
    """One delivery: its id is the ``Idempotency-Key``; its body never changes once written."""

    __tablename__ = "delivery_outbox"
    __table_args__ = (Index("ix_delivery_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(index=True, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    kind: Mapped[str] = mapped_column(String(16), info=pd("none"))  # release|changes|notice
    url: Mapped[str] = mapped_column(String(2000), info=pd("none"))
    body: Mapped[str] = mapped_column(Text, info=pd("release"))
    body_digest: Mapped[str] = mapped_column(String(64), info=pd("none"))
    ledger_entry_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    state: Mapped[str] = mapped_column(String(16), default="pending", info=pd("none"))
    attempts: Mapped[int] = mapped_column(default=0, info=pd("none"))
    next_attempt_at: Mapped[datetime] = mapped_column(info=pd("none"))
    lease_owner: Mapped[str | None] = mapped_column(String(64), info=pd("none"))
    lease_until: Mapped[datetime | None] = mapped_column(info=pd("none"))
    delivered_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    last_error: Mapped[str | None] = mapped_column(String(500), info=pd("none"))


class DeliveryAttempt(Base):
    """Every try, kept: what came back (status or error) and how long it took."""

    __tablename__ = "delivery_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("delivery_outbox.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    number: Mapped[int] = mapped_column(info=pd("none"))
    started_at: Mapped[datetime] = mapped_column(info=pd("none"))
    duration_ms: Mapped[int] = mapped_column(info=pd("none"))
    status_code: Mapped[int | None] = mapped_column(info=pd("none"))
    error: Mapped[str | None] = mapped_column(String(500), info=pd("none"))
    worker: Mapped[str] = mapped_column(String(64), info=pd("none"))
