"""Ledger tables: one chain head per board, entries, one compact payload row each, person keys.

The chain (``audit_entry``) holds no personal data: who received what, when, under which
connection, and a *commitment* to the payload. The payload (the query, the attribute ids and
the people, as small per-board person numbers) lives in ``audit_payload``, one row per entry;
each person's commitment is keyed with that person's own secret in ``audit_person_key``, so
erasing one person (destroying their key) or a whole payload (retention) leaves the chain
verifiable and nothing to re-identify the person by (DESIGN invariant 6a, ADRs 0030, 0031).

Provider and connection ids are deliberately not foreign keys: a record of a disclosure must
outlive the provider or connection it names.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Dialect,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from koppelvlak.audit.values import Channel
from koppelvlak.db import Base, new_id, pd

HASH_LENGTH = 64  # sha256 hex
SALT_LENGTH = 32  # 16 random bytes, hex
KEY_BYTES = 16  # a person's secret key
COMMITMENT_BYTES = 16  # a person's commitment in one entry (truncated HMAC-SHA256)


def _channel() -> Enum:
    return Enum(
        Channel,
        name="channel",
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class PersonNumbers(TypeDecorator[tuple[int, ...]]):
    """The people of one entry as person numbers: ``integer[]`` on PostgreSQL (so a GIN index
    answers "which entries name person N"), 4-byte little-endian integers in a blob on SQLite.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer()))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Sequence[int] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        return pack_numbers(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[int, ...] | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return tuple(value)
        return unpack_numbers(value)


def pack_numbers(numbers: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(numbers)}i", *numbers)


def unpack_numbers(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(blob) // 4}i", blob)


class ChainHead(Base):
    """The end of one board's chain; its row lock serialises appends for that board only.

    ``erasures`` counts person erasures: an append that read person keys before taking the
    lock re-reads them under the lock when the count moved (ADR 0031).
    """

    __tablename__ = "audit_chain"

    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    last_sequence: Mapped[int] = mapped_column(Integer, info=pd("none"))
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    updated_at: Mapped[datetime] = mapped_column(info=pd("none"))
    erasures: Mapped[int] = mapped_column(Integer, server_default=text("0"), info=pd("none"))


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


class PersonKey(Base):
    """One person's secret for their commitments in one board's ledger, and their number.

    Erasing the person deletes this row: their commitments left in the entries become
    unlinkable random strings. ``number`` is what entries store instead of the 16-byte id;
    it is never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL).
    """

    __tablename__ = "audit_person_key"
    __table_args__ = (UniqueConstraint("board_id", "person_id"), {"sqlite_autoincrement": True})

    number: Mapped[int] = mapped_column(Integer, primary_key=True, info=pd("identifier"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    key: Mapped[bytes] = mapped_column(LargeBinary(KEY_BYTES), info=pd("payload"))


class Payload(Base):
    """What one entry asked, sent and about whom; erasable piece by piece.

    Keyed like the chain, by ``(board_id, sequence)``, so verification reads entry and payload
    side by side. ``people`` are person numbers; ``erased`` holds the 16-byte commitments of
    people erased from this entry. Entries recorded before migration 0008 keep their old
    commitments in ``v1_details`` and ``v1_subjects`` and are verified by the old rules.
    """

    __tablename__ = "audit_payload"
    __table_args__ = (
        ForeignKeyConstraint(
            ["board_id", "sequence"],
            ["audit_entry.board_id", "audit_entry.sequence"],
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        # PostgreSQL answers "which entries name person N" from this GIN index; on SQLite the
        # same index is empty (WHERE 0) and that query scans (ADR 0031).
        Index(
            "ix_audit_payload_people",
            "people",
            postgresql_using="gin",
            # A short pending list: new entries are found by a linear scan of it until it
            # is merged, so a long one (4 MB by default) slows every person query.
            postgresql_with={"gin_pending_list_limit": 256},
            sqlite_where=text("0"),
        ),
    )

    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, info=pd("none"))
    salt: Mapped[str | None] = mapped_column(String(SALT_LENGTH), info=pd("payload"))
    query: Mapped[str | None] = mapped_column(Text, info=pd("payload"))
    attribute_ids: Mapped[str | None] = mapped_column(Text, info=pd("payload"))  # JSON list
    people: Mapped[tuple[int, ...] | None] = mapped_column(PersonNumbers, info=pd("identifier"))
    erased: Mapped[bytes | None] = mapped_column(LargeBinary, info=pd("none"))
    erased_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    v1_details: Mapped[str | None] = mapped_column(String(HASH_LENGTH), info=pd("none"))
    v1_subjects: Mapped[str | None] = mapped_column(Text, info=pd("identifier"))
