"""Ledger tables: one chain head per board, entries, their payloads and their subjects.

The chain (``audit_entry``) holds no personal data: who received what, when, under which
connection, and a *commitment* to the payload. The payload itself (the query, the attribute
ids) and the subjects (the people) live in their own tables with random salts, so erasure and
retention can delete them while the chain still verifies (DESIGN invariant 6a, ADR 0030).

Provider and connection ids are deliberately not foreign keys: a record of a disclosure must
outlive the provider or connection it names.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.audit.values import Channel
from koppelvlak.db import Base, new_id, pd

HASH_LENGTH = 64  # sha256 hex
SALT_LENGTH = 32  # 16 random bytes, hex


def _channel() -> Enum:
    return Enum(
        Channel,
        name="channel",
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class ChainHead(Base):
    """The end of one board's chain; its row lock serialises appends for that board only."""

    __tablename__ = "audit_chain"

    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    last_sequence: Mapped[int] = mapped_column(Integer, info=pd("none"))
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    updated_at: Mapped[datetime] = mapped_column(info=pd("none"))


class Entry(Base):
    """One disclosure in a board's chain: the header hashed as is, the payload as a commitment."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("board_id", "sequence"),
        Index(
            "ix_audit_entry_board_id_provider_id_recorded_at",
            "board_id",
            "provider_id",
            "recorded_at",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    sequence: Mapped[int] = mapped_column(Integer, info=pd("none"))
    recorded_at: Mapped[datetime] = mapped_column(info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    connection_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    channel: Mapped[Channel] = mapped_column(_channel(), info=pd("none"))
    # A route template or operation name, never a concrete path with a person's id in it.
    endpoint: Mapped[str] = mapped_column(String(256), info=pd("none"))
    response_digest: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    previous_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    entry_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    payload_commitment: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))


class Payload(Base):
    """What was asked and which attributes were sent; erasable (salt and values set to NULL)."""

    __tablename__ = "audit_payload"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_entry.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    details_commitment: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    salt: Mapped[str | None] = mapped_column(String(SALT_LENGTH), info=pd("payload"))
    query: Mapped[str | None] = mapped_column(Text, info=pd("payload"))
    attribute_ids: Mapped[str | None] = mapped_column(Text, info=pd("payload"))  # JSON list
    erased_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class Subject(Base):
    """One person in one disclosure; ``(board_id, person_id)`` answers "who got what about X".

    Keyed by ``(board_id, sequence, commitment)`` rather than a UUID: there is one row per
    person per response (a hundred for a page of users), and verification streams them in
    chain order from this key without a join (ADR 0030).
    """

    __tablename__ = "audit_subject"
    __table_args__ = (Index("ix_audit_subject_board_id_person_id", "board_id", "person_id"),)

    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, info=pd("none"))
    commitment: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True, info=pd("none"))
    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_entry.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("identifier"))
    salt: Mapped[str | None] = mapped_column(String(SALT_LENGTH), info=pd("payload"))
    erased_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
