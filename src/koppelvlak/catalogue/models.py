"""Catalogue tables: operator extensions to the built-in attributes and purposes.

The defaults live in code (``seed.py``) so every installation agrees on them; an operator adds
attributes or purposes as rows here. A row can never redefine a built-in id.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.db import Base, Timestamped, new_id, pd


class Entity(enum.StrEnum):
    STUDENT = "student"
    STAFF = "staff"
    GROUP = "group"


class Sensitivity(enum.StrEnum):
    NORMAL = "normal"
    SENSITIVE = "sensitive"
    SPECIAL = "special"  # never shareable (e.g. the citizen service number)


class LawfulBasis(enum.StrEnum):
    """GDPR article 6(1) a–f."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_DUTY = "legal_duty"
    VITAL_INTEREST = "vital_interest"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTEREST = "legitimate_interest"


def str_enum(kind: type[enum.StrEnum], name: str) -> Enum:
    """Stored as plain strings with a CHECK, identical on SQLite and PostgreSQL."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class CatalogueAttribute(Timestamped, Base):
    """An attribute the operator added to the built-in catalogue."""

    __tablename__ = "catalogue_attribute"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, info=pd("none"))
    entity: Mapped[Entity] = mapped_column(str_enum(Entity, "entity"), info=pd("none"))
    category: Mapped[str] = mapped_column(String(32), info=pd("none"))
    sensitivity: Mapped[Sensitivity] = mapped_column(
        str_enum(Sensitivity, "sensitivity"), info=pd("none")
    )
    shareable: Mapped[bool] = mapped_column(default=True, info=pd("none"))
    identifier: Mapped[bool] = mapped_column(default=False, info=pd("none"))
    description_nl: Mapped[str] = mapped_column(Text, info=pd("none"))
    description_en: Mapped[str] = mapped_column(Text, info=pd("none"))


class CataloguePurpose(Timestamped, Base):
    """A purpose the operator added: why data is processed, on which basis, for how long."""

    __tablename__ = "catalogue_purpose"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    code: Mapped[str] = mapped_column(String(64), unique=True, info=pd("none"))
    lawful_basis: Mapped[LawfulBasis] = mapped_column(
        str_enum(LawfulBasis, "lawful_basis"), info=pd("none")
    )
    retention: Mapped[str] = mapped_column(String(32), info=pd("none"))  # ISO 8601, e.g. P1Y
    description_nl: Mapped[str] = mapped_column(Text, info=pd("none"))
    description_en: Mapped[str] = mapped_column(Text, info=pd("none"))
