"""Provider tables: organisations, accreditation, apps, credentials, UWLR keys, datasets.

A provider organisation holds no personal data of students or staff; its contacts are business
addresses, labelled ``contact`` where they may name a person. Secrets are stored only as argon2
hashes. A dataset is an app's versioned request; a version never changes once written.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import LawfulBasis, str_enum
from koppelvlak.db import Base, Timestamped, new_id, pd


class AccreditationState(enum.StrEnum):
    APPLIED = "applied"
    ACCREDITED = "accredited"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class DeliveryMode(enum.StrEnum):
    PULL = "pull"
    PUSH = "push"


class Provider(Timestamped, Base):
    """An organisation that offers apps to schools (koppelpartner)."""

    __tablename__ = "provider"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True, info=pd("none"))
    oin: Mapped[str | None] = mapped_column(String(20), info=pd("none"))
    contact_email: Mapped[str] = mapped_column(String(256), info=pd("none"))
    security_contact_email: Mapped[str] = mapped_column(String(256), info=pd("none"))
    privacy_statement_url: Mapped[str] = mapped_column(String(512), info=pd("none"))
    covenant_signed_on: Mapped[date | None] = mapped_column(info=pd("none"))
    processing_agreement_on: Mapped[date | None] = mapped_column(info=pd("none"))
    processing_agreement_version: Mapped[str | None] = mapped_column(String(32), info=pd("none"))
    accreditation_state: Mapped[AccreditationState] = mapped_column(
        str_enum(AccreditationState, "accreditation_state"), info=pd("none")
    )
    decided_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    decided_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    decision_reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class AccreditationDecision(Base):
    """History of the operator's accreditation decisions (who, when, why)."""

    __tablename__ = "accreditation_decision"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    state: Mapped[AccreditationState] = mapped_column(
        str_enum(AccreditationState, "accreditation_state"), info=pd("none")
    )
    decided_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    decided_at: Mapped[datetime] = mapped_column(info=pd("none"))
    reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class App(Timestamped, Base):
    __tablename__ = "provider_app"
    __table_args__ = (UniqueConstraint("provider_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), info=pd("none")
    )
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))
    description: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class ClientCredential(Timestamped, Base):
    """An OAuth2 client of a provider; it may hold several secrets during a rotation."""

    __tablename__ = "client_credential"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    client_id: Mapped[str] = mapped_column(String(64), unique=True, info=pd("none"))
    label: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    public_key_pem: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class ClientSecret(Base):
    """One argon2-hashed secret of a credential, usable until it expires or is revoked."""

    __tablename__ = "client_secret"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_credential.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    secret_hash: Mapped[str] = mapped_column(String(256), info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    expires_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class UsedClientAssertion(Base):
    """A ``private_key_jwt`` assertion's ``jti``, kept until the assertion expires (RFC 7523 §3).

    While it is kept, the same assertion is refused; after its ``exp`` it would be refused anyway.
    """

    __tablename__ = "used_client_assertion"

    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_credential.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    jti: Mapped[str] = mapped_column(String(255), primary_key=True, info=pd("none"))
    expires_at: Mapped[datetime] = mapped_column(index=True, info=pd("none"))


class UwlrKey(Timestamped, Base):
    """A UWLR klantcode + autorisatiesleutel (hashed) of a provider for schools of one board."""

    __tablename__ = "uwlr_key"
    __table_args__ = (UniqueConstraint("provider_id", "klantcode"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), info=pd("none")
    )
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    klantcode: Mapped[str] = mapped_column(String(64), index=True, info=pd("none"))
    key_hash: Mapped[str] = mapped_column(String(256), info=pd("none"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class UwlrKeySchool(Base):
    """A school (BRIN + location) a UWLR key opens."""

    __tablename__ = "uwlr_key_school"
    __table_args__ = (UniqueConstraint("key_id", "brin", "location_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    key_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("uwlr_key.id", ondelete="CASCADE"), info=pd("none")
    )
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    brin: Mapped[str] = mapped_column(String(4), info=pd("none"))
    location_code: Mapped[str] = mapped_column(String(2), info=pd("none"))


class Dataset(Timestamped, Base):
    """An app's data request; its content lives in immutable versions."""

    __tablename__ = "dataset"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    app_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider_app.id", ondelete="CASCADE"), unique=True, info=pd("none")
    )
    latest_version: Mapped[int] = mapped_column(default=1, info=pd("none"))


class DatasetVersion(Base):
    """One version of a dataset: attributes, purpose, entity types, delivery, retention."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), info=pd("none")
    )
    version: Mapped[int] = mapped_column(info=pd("none"))
    purpose_code: Mapped[str] = mapped_column(String(64), info=pd("none"))
    purpose_statement: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    lawful_basis: Mapped[LawfulBasis] = mapped_column(
        str_enum(LawfulBasis, "lawful_basis"), info=pd("none")
    )
    retention: Mapped[str] = mapped_column(String(32), info=pd("none"))
    entity_types: Mapped[str] = mapped_column(String(64), info=pd("none"))  # "groups,students"
    delivery_mode: Mapped[DeliveryMode] = mapped_column(
        str_enum(DeliveryMode, "delivery_mode"), info=pd("none")
    )
    sensitive: Mapped[bool] = mapped_column(info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    created_by: Mapped[str] = mapped_column(String(200), info=pd("none"))


class DatasetAttribute(Base):
    __tablename__ = "dataset_attribute"
    __table_args__ = (UniqueConstraint("version_id", "attribute_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dataset_version.id", ondelete="CASCADE"), info=pd("none")
    )
    attribute_id: Mapped[str] = mapped_column(String(64), info=pd("none"))
    required: Mapped[bool] = mapped_column(info=pd("none"))
