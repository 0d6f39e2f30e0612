"""Mandate tables: the services of the register, the schools' mandates, refusals, final-test rules.

A mandate is never edited: revoking it stamps ``revoked_at``; a new period is a new mandate, so
the record of who decided what, and when, stays whole. A refused exchange is a row the school
can read (``mandate_refusal``). The final-test rule is a setting of one connection that the
release engine reads (``release.loading``), so the kept release, explain and ``release check``
all follow it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.db import Base, new_id, pd


class PartyKind(enum.StrEnum):
    OIN = "oin"  # Organisatie-identificatienummer: 20 digits
    KVK = "kvk"  # Chamber of Commerce number: 8 digits


class MandateService(Base):
    """A named service of the register ("Logistiek Proces Eindtoets PO"); admins may add more."""

    __tablename__ = "mandate_service"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    name: Mapped[str] = mapped_column(String(120), unique=True, info=pd("none"))
    description: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    created_by: Mapped[str] = mapped_column(String(200), info=pd("none"))


class Mandate(Base):
    """A school's mandate of one party for one service in a validity period."""

    __tablename__ = "mandate"
    __table_args__ = (Index("ix_mandate_school_id_service_id", "school_id", "service_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mandate_service.id", ondelete="CASCADE"), info=pd("none")
    )
    party_kind: Mapped[PartyKind] = mapped_column(
        str_enum(PartyKind, "party_kind"), info=pd("none")
    )
    party: Mapped[str] = mapped_column(String(20), info=pd("none"))
    valid_from: Mapped[date] = mapped_column(info=pd("none"))
    valid_until: Mapped[date | None] = mapped_column(info=pd("none"))  # inclusive; None: open
    decided_by: Mapped[str] = mapped_column(String(200), info=pd("name"))
    decided_at: Mapped[datetime] = mapped_column(info=pd("none"))
    revoked_by: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    revocation_reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class MandateRefusal(Base):
    """An exchange refused for want of a valid mandate: the school sees what was stopped."""

    __tablename__ = "mandate_refusal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    service: Mapped[str] = mapped_column(String(120), info=pd("none"))
    party: Mapped[str] = mapped_column(String(20), info=pd("none"))
    at: Mapped[datetime] = mapped_column(info=pd("none"))
    reason: Mapped[str] = mapped_column(Text, info=pd("none"))
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL"), info=pd("none")
    )


class FinalTestRule(Base):
    """A connection that delivers only the final-test participants: one year group, enrolled on a
    reference date. The release engine applies it as a scope rule (ADR 0108)."""

    __tablename__ = "final_test_rule"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), unique=True, info=pd("none")
    )
    service: Mapped[str] = mapped_column(String(120), info=pd("none"))
    party: Mapped[str] = mapped_column(String(20), info=pd("none"))
    year_group: Mapped[str] = mapped_column(String(2), info=pd("none"))
    reference_date: Mapped[date] = mapped_column(info=pd("none"))
    set_by: Mapped[str] = mapped_column(String(200), info=pd("name"))
    set_at: Mapped[datetime] = mapped_column(info=pd("none"))
