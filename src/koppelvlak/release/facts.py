"""Frozen inputs of the release engine: a connection and the people and groups it may concern.

The repository loads these in a few set-based queries; the engine decides on them without
I/O, so ``resolve`` and ``explain`` give the same answer for the same facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from koppelvlak.release.keys import Key
from koppelvlak.release.values import AttributeValue, PersonKind

ENTITY_OF_KIND = {PersonKind.STUDENT: "students", PersonKind.STAFF: "staff"}
PREFIX_OF_KIND = {PersonKind.STUDENT: "student.", PersonKind.STAFF: "staff."}
MEMBERSHIP_ATTRIBUTE = {PersonKind.STUDENT: "student.groups", PersonKind.STAFF: "staff.groups"}


@dataclass(frozen=True)
class ConnectionFacts:
    connection_id: uuid.UUID
    board_id: uuid.UUID
    provider_id: uuid.UUID
    school_id: Key
    state: str  # the state in force at the moment of release
    provider_accredited: bool
    dataset_attributes: Mapping[str, bool]  # attribute id -> required
    switched_off: frozenset[str]
    entity_types: frozenset[str]  # students / staff / groups
    consent_based: bool
    digital_consent_age: int
    scope_kind: str  # whole_school | groups | year_groups
    licensed_only: bool = False
    scope_groups: frozenset[Key] = frozenset()
    scope_year_groups: frozenset[str] = frozenset()
    # The final-test rule (ADR 0108): only students of this year group enrolled on this day.
    participants_year_group: str | None = None
    participants_on: date | None = None

    @property
    def active(self) -> bool:
        return self.state == "active" and self.provider_accredited

    @cached_property
    def plan(self) -> dict[PersonKind, tuple[tuple[str, bool], ...]]:
        """Per kind, each dataset attribute and whether the school switched it off."""
        return {
            kind: tuple(
                (a, not required and a in self.switched_off)
                for a, required in sorted(self.dataset_attributes.items())
                if a.startswith(PREFIX_OF_KIND[kind])
            )
            for kind in PersonKind
        }

    @cached_property
    def is_active(self) -> bool:
        return self.active

    @cached_property
    def has_students(self) -> bool:
        return "students" in self.entity_types

    @cached_property
    def has_staff(self) -> bool:
        return "staff" in self.entity_types

    @cached_property
    def decision_cache(self) -> dict[Any, Any]:
        """Memo of the engine's per-attribute decisions (they depend on kind and reason only).

        Keyed by (kind, engine.Reason), and by ``kind is STUDENT`` for released people (the hot
        path); typed loosely because the engine imports this module.
        """
        return {}

    @cached_property
    def needs_memberships(self) -> bool:
        """Whether the release must read group memberships at all."""
        return (
            self.scope_kind != "whole_school"
            or any(a.endswith(".groups") for a in self.dataset_attributes)
            or ("groups" in self.entity_types and self.licensed_only)
        )

    @cached_property
    def released_attribute_ids(self) -> frozenset[str]:
        """The dataset's attributes minus the optional ones the school switched off."""
        return frozenset(
            a
            for a, required in self.dataset_attributes.items()
            if required or a not in self.switched_off
        )


@dataclass(frozen=True, slots=True)
class PersonFacts:
    person_id: Key
    kind: PersonKind
    school_id: Key
    year_group: str | None = None
    birth_date: date | None = None
    group_ids: frozenset[Key] = frozenset()  # current memberships
    group_year_groups: frozenset[str] = frozenset()  # year groups of those groups
    licensed: bool = False
    objection: bool = False
    consent: str | None = None  # latest parental consent: given / refused / withdrawn
    enrolled_from: date | None = None  # read only under a final-test rule
    enrolled_until: date | None = None
    values: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupFacts:
    group_id: Key
    school_id: Key
    kind: str
    year_group: str | None = None
    values: Mapping[str, AttributeValue] = field(default_factory=dict)
