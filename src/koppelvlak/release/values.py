"""What a release hands to the provider-facing interfaces: frozen values, never ORM rows.

This is the contract between ``release`` (which decides) and ``api`` (which renders
OneRoster JSON or UWLR XML). Only attributes the decision released are present in
``attributes``; an absent key means *withheld*, and each interface documents how it renders a
withheld field (left out where its schema allows, empty where it requires one).

``person_id`` and ``group_id`` are internal keys for the ledger only: renderers must use
``pseudonym`` (DESIGN invariant 3).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias

AttributeValue: TypeAlias = str | date | datetime | int | bool | None


class PersonKind(StrEnum):
    STUDENT = "student"
    STAFF = "staff"


@dataclass(frozen=True)
class ReleasedSchool:
    """A school location; its identifiers are public (BRIN), not personal data."""

    school_id: uuid.UUID  # internal, ledger only
    brin: str
    location_code: str
    name: str
    sector: str
    school_year: str  # "2025-2026"


@dataclass(frozen=True)
class ReleasedGroup:
    group_id: uuid.UUID  # internal, ledger only
    pseudonym: str  # stable per provider
    kind: str  # class_group | teaching_group | composite_group
    school_brin: str
    school_location_code: str
    attributes: Mapping[
        str, AttributeValue
    ]  # e.g. {"group.name": "Groep 8A", "group.year_group": "8"}
    updated_at: datetime


@dataclass(frozen=True)
class ReleasedPerson:
    person_id: uuid.UUID  # internal, ledger only
    kind: PersonKind
    pseudonym: str  # stable per provider, unlinkable across providers
    school_brin: str
    school_location_code: str
    attributes: Mapping[str, AttributeValue]  # only released attribute ids
    group_pseudonyms: tuple[str, ...]  # memberships, only when groups are released
    group_roles: Mapping[str, str] = field(default_factory=dict)  # staff: group pseudonym -> role
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DepartedPerson:
    """Someone a connection saw before but may no longer see (for deltas: ``tobedeleted``)."""

    person_id: uuid.UUID
    kind: PersonKind
    pseudonym: str
    left_at: datetime


@dataclass(frozen=True)
class Release:
    """Exactly what one connection may see at one moment."""

    board_id: uuid.UUID
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    at: datetime
    attribute_ids: frozenset[str]  # every attribute the connection releases
    schools: tuple[ReleasedSchool, ...]
    groups: tuple[ReleasedGroup, ...]
    people: tuple[ReleasedPerson, ...]
    departed: tuple[DepartedPerson, ...] = ()

    @property
    def students(self) -> tuple[ReleasedPerson, ...]:
        return tuple(p for p in self.people if p.kind is PersonKind.STUDENT)

    @property
    def staff(self) -> tuple[ReleasedPerson, ...]:
        return tuple(p for p in self.people if p.kind is PersonKind.STAFF)
