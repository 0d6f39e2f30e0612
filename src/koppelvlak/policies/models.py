"""Policy tables: a board's privacy statements and terms, their versions and acceptances.

A policy's text lives in versions that move draft → active → archived, at most one active at a
time. An acceptance names the version a person (or, for a child under the age of digital
consent, a guardian) accepted; withdrawing it keeps the row, so the history can be read later.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.db import Base, Timestamped, new_id, pd


class Audience(enum.StrEnum):
    STAFF = "staff"
    STUDENTS = "students"
    GUARDIANS = "guardians"


class VersionState(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class SubjectKind(enum.StrEnum):
    """Who an acceptance is about: one person of the policy's audience."""

    STUDENT = "student"
    STAFF = "staff"
    GUARDIAN = "guardian"


class Policy(Timestamped, Base):
    """A board's privacy statement or terms for one audience; required or optional."""

    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("board_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    code: Mapped[str] = mapped_column(String(64), info=pd("none"))
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "policy_audience"), info=pd("none")
    )
    required: Mapped[bool] = mapped_column(info=pd("none"))
    # A consent-based connection whose parental consent an acceptance records (ADR 0122).
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL"), info=pd("none")
    )
    created_by: Mapped[str] = mapped_column(String(200), info=pd("none"))


class PolicyVersion(Base):
    """One version of a policy's text; its text never changes once it leaves draft."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policy.id", ondelete="CASCADE"), info=pd("none")
    )
    number: Mapped[int] = mapped_column(info=pd("none"))
    state: Mapped[VersionState] = mapped_column(
        str_enum(VersionState, "policy_version_state"), info=pd("none")
    )
    minor_change: Mapped[bool] = mapped_column(info=pd("none"))
    summary: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    text_nl: Mapped[str] = mapped_column(Text, info=pd("none"))
    text_en: Mapped[str] = mapped_column(Text, info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    created_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    published_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    published_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    archived_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    archived_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))


class PolicyAcceptance(Base):
    """A person's acceptance of a policy version, by themselves or by a guardian for a child."""

    __tablename__ = "policy_acceptance"
    __table_args__ = (
        Index("ix_policy_acceptance_board_id_policy_id", "board_id", "policy_id"),
        Index("ix_policy_acceptance_policy_id_subject_id", "policy_id", "subject_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policy.id", ondelete="CASCADE"), info=pd("none")
    )
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policy_version.id", ondelete="CASCADE"), info=pd("none")
    )
    subject_kind: Mapped[SubjectKind] = mapped_column(
        str_enum(SubjectKind, "policy_subject_kind"), info=pd("none")
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    # The guardian who accepted for a child; empty when the person accepted for themselves.
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("guardian.id", ondelete="SET NULL"), info=pd("identifier")
    )
    accepted_at: Mapped[datetime] = mapped_column(info=pd("none"))
    recorded_by: Mapped[str] = mapped_column(String(200), info=pd("name"))
    # The parental consent this acceptance recorded for the policy's connection, if any.
    consent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parental_consent.id", ondelete="SET NULL"), info=pd("none")
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    withdrawn_by: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
