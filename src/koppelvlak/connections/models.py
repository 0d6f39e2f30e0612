"""Connection tables: one school × one app's dataset version, its scope and exceptions.

A connection names the dataset version the school approved; a newer version the provider
proposes waits in ``pending_version_id`` until the school approves it (a widening is never
applied silently). Every decision is a row in ``connection_event``. Exceptions (objection,
parental consent) are per person and provider and kept as a history of events, so a release
can tell who was released when.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.db import Base, Timestamped, new_id, pd


class ConnectionState(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # admin approved; waiting for the DPO's sign-off
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REFUSED = "refused"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ScopeKind(enum.StrEnum):
    WHOLE_SCHOOL = "whole_school"
    GROUPS = "groups"
    YEAR_GROUPS = "year_groups"


class UwlrProfile(enum.StrEnum):
    SMALLE_SET = "smalle_set"
    LVS_SET = "lvs_set"


class PersonKindColumn(enum.StrEnum):
    STUDENT = "student"
    STAFF = "staff"


class LicenceSource(enum.StrEnum):
    SCHOOL = "school"
    PROVIDER = "provider"


class ConsentState(enum.StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Connection(Timestamped, Base):
    __tablename__ = "connection"
    __table_args__ = (UniqueConstraint("school_id", "app_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    app_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider_app.id", ondelete="CASCADE"), info=pd("none")
    )
    dataset_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dataset_version.id"), info=pd("none")
    )
    pending_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dataset_version.id"), info=pd("none")
    )
    state: Mapped[ConnectionState] = mapped_column(
        str_enum(ConnectionState, "connection_state"), info=pd("none")
    )
    scope_kind: Mapped[ScopeKind] = mapped_column(
        str_enum(ScopeKind, "scope_kind"), info=pd("none")
    )
    licensed_only: Mapped[bool] = mapped_column(default=False, info=pd("none"))
    uwlr_profile: Mapped[UwlrProfile | None] = mapped_column(
        str_enum(UwlrProfile, "uwlr_profile"), info=pd("none")
    )
    ends_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    activated_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    requested_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    approved_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    approved_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    dpo_signed_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    dpo_signed_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class ConnectionEvent(Base):
    """Every decision on a connection: who, when, what, and the version difference if any."""

    __tablename__ = "connection_event"
    __table_args__ = (UniqueConstraint("connection_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    seq: Mapped[int] = mapped_column(info=pd("none"))  # 1, 2, … per connection
    at: Mapped[datetime] = mapped_column(info=pd("none"))
    actor: Mapped[str] = mapped_column(String(200), info=pd("none"))
    action: Mapped[str] = mapped_column(String(32), info=pd("none"))
    from_state: Mapped[str | None] = mapped_column(String(16), info=pd("none"))
    to_state: Mapped[str | None] = mapped_column(String(16), info=pd("none"))
    reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, info=pd("none"))


class ConnectionSwitchOff(Base):
    """An optional attribute the school switched off for this connection."""

    __tablename__ = "connection_switch_off"
    __table_args__ = (UniqueConstraint("connection_id", "attribute_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    attribute_id: Mapped[str] = mapped_column(String(64), info=pd("none"))


class ConnectionScopeGroup(Base):
    __tablename__ = "connection_scope_group"
    __table_args__ = (UniqueConstraint("connection_id", "group_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roster_group.id", ondelete="CASCADE"), info=pd("none")
    )


class ConnectionScopeYearGroup(Base):
    __tablename__ = "connection_scope_year_group"
    __table_args__ = (UniqueConstraint("connection_id", "year_group"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    year_group: Mapped[str] = mapped_column(String(2), info=pd("none"))


class Licence(Base):
    """A licensed user of a connection, uploaded by the school or submitted by the provider."""

    __tablename__ = "licence"
    __table_args__ = (Index("ix_licence_connection_id_person_id", "connection_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    person_kind: Mapped[PersonKindColumn] = mapped_column(
        str_enum(PersonKindColumn, "person_kind"), info=pd("none")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    source: Mapped[LicenceSource] = mapped_column(
        str_enum(LicenceSource, "licence_source"), info=pd("none")
    )
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    created_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    removed_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class Objection(Base):
    """A person's objection (opt-out) to one provider; lifting it keeps the row."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_board_id_provider_id", "board_id", "provider_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), info=pd("none")
    )
    person_kind: Mapped[PersonKindColumn] = mapped_column(
        str_enum(PersonKindColumn, "person_kind"), info=pd("none")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    recorded_at: Mapped[datetime] = mapped_column(info=pd("none"))
    recorded_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    lifted_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    lifted_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))


class ParentalConsent(Base):
    """One parental-consent event for a student and a provider; the latest one counts."""

    __tablename__ = "parental_consent"
    __table_args__ = (Index("ix_parental_consent_board_id_provider_id", "board_id", "provider_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), info=pd("none")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), info=pd("identifier")
    )
    state: Mapped[ConsentState] = mapped_column(
        str_enum(ConsentState, "consent_state"), info=pd("none")
    )
    decided_by: Mapped[str] = mapped_column(String(200), info=pd("name"))
    decided_at: Mapped[datetime] = mapped_column(info=pd("none"))


class AdminRole(enum.StrEnum):
    ADMIN = "admin"
    DPO = "dpo"
    VIEWER = "viewer"


class AdminToken(Base):
    """A bearer token for the admin JSON API, bound to one board and one role (argon2 hash)."""

    __tablename__ = "admin_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    role: Mapped[AdminRole] = mapped_column(str_enum(AdminRole, "admin_role"), info=pd("none"))
    label: Mapped[str] = mapped_column(String(200), info=pd("name"))
    token_hash: Mapped[str] = mapped_column(String(256), info=pd("credential"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    expires_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
