"""The pure release engine: one decision, with a reason, per person and attribute.

No I/O: everything comes in as ``facts``. ``decide_person`` is the single rule both
``resolve`` and ``explain`` use. The order of the rules is the order an explanation reads:
connection state, entity type, scope (with the final-test rule, ADR 0108), objection, parental
consent, then attribute by attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from koppelvlak.kit.clock import age_on
from koppelvlak.release.facts import (
    ConnectionFacts,
    GroupFacts,
    PersonFacts,
)
from koppelvlak.release.keys import Key
from koppelvlak.release.values import PersonKind


class Reason(StrEnum):
    RELEASED = "released"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_IN_DATASET = "not_in_dataset"
    SWITCHED_OFF = "switched_off"
    OBJECTION = "objection"
    NO_PARENTAL_CONSENT = "no_parental_consent"
    CONNECTION_INACTIVE = "connection_inactive"


@dataclass(frozen=True)
class PersonDecision:
    person_id: Key
    kind: PersonKind
    reason: Reason  # RELEASED or the rule that kept the person out
    detail: str  # one human-readable sentence
    attributes: Mapping[str, Reason]  # every dataset attribute of the person's kind

    @property
    def released(self) -> bool:
        return self.reason is Reason.RELEASED

    @property
    def released_attributes(self) -> frozenset[str]:
        return frozenset(a for a, r in self.attributes.items() if r is Reason.RELEASED)


def is_participant(connection: ConnectionFacts, person: PersonFacts) -> bool:
    """The final-test rule: a student of the participants' year group, enrolled on the reference
    day (an unknown enrolment start or end does not count against them: the LAS lists them).
    Without the rule everyone passes."""
    on = connection.participants_on
    if on is None:
        return True
    if person.kind is not PersonKind.STUDENT:
        return False
    if person.year_group != connection.participants_year_group:
        return False
    started = person.enrolled_from is None or person.enrolled_from <= on
    return started and (person.enrolled_until is None or person.enrolled_until >= on)


def in_outer_scope(connection: ConnectionFacts, person: PersonFacts) -> bool:
    """Inside the school's chosen scope, before the licence rule."""
    if person.school_id != connection.school_id:
        return False
    if connection.participants_on is not None and not is_participant(connection, person):
        return False
    if connection.scope_kind == "groups":
        return bool(person.group_ids & connection.scope_groups)
    if connection.scope_kind == "year_groups":
        if person.kind is PersonKind.STUDENT:
            return person.year_group in connection.scope_year_groups
        return bool(person.group_year_groups & connection.scope_year_groups)
    return True


def in_scope(connection: ConnectionFacts, person: PersonFacts) -> bool:
    return in_outer_scope(connection, person) and (not connection.licensed_only or person.licensed)


def lacks_consent(connection: ConnectionFacts, person: PersonFacts, on: date) -> bool:
    """Under a consent-based purpose a student under the age of digital consent needs consent.

    An unknown birth date counts as under age: the rule fails closed.
    """
    if not connection.consent_based or person.kind is not PersonKind.STUDENT:
        return False
    if person.consent == "given":
        return False
    if person.birth_date is None:
        return True
    return age_on(person.birth_date, on) < connection.digital_consent_age


def _person_reason(  # noqa: PLR0911  (a rule list reads best as one early return per rule)
    connection: ConnectionFacts, person: PersonFacts, on: date
) -> tuple[Reason, str]:
    if not connection.is_active:
        if not connection.provider_accredited:
            return Reason.CONNECTION_INACTIVE, "the provider is not accredited"
        return Reason.CONNECTION_INACTIVE, f"the connection is {connection.state}"
    student = person.kind is PersonKind.STUDENT
    if not (connection.has_students if student else connection.has_staff):
        entity = "students" if student else "staff"
        return Reason.NOT_IN_DATASET, f"the dataset does not include {entity}"
    if not in_outer_scope(connection, person):
        return Reason.OUT_OF_SCOPE, _scope_sentence(connection, person)
    if connection.licensed_only and not person.licensed:
        return Reason.OUT_OF_SCOPE, "the scope is licensed users only and there is no licence"
    if person.objection:
        return Reason.OBJECTION, "an objection to this provider is recorded"
    if lacks_consent(connection, person, on):
        if person.birth_date is None:
            return Reason.NO_PARENTAL_CONSENT, "birth date unknown and no parental consent given"
        age = age_on(person.birth_date, on)
        state = person.consent or "not recorded"
        return (
            Reason.NO_PARENTAL_CONSENT,
            f"aged {age}, under {connection.digital_consent_age}, parental consent {state}",
        )
    return Reason.RELEASED, "released"


def _scope_sentence(connection: ConnectionFacts, person: PersonFacts) -> str:
    on = connection.participants_on
    inside = person.school_id == connection.school_id
    if on is not None and inside and not is_participant(connection, person):
        return _not_a_participant(connection, person, on)
    if connection.scope_kind == "groups":
        return "not a member of a group in the connection's scope"
    if connection.scope_kind == "year_groups":
        years = ", ".join(sorted(connection.scope_year_groups)) or "none"
        return f"not in a year group in the connection's scope ({years})"
    return "not at the connection's school"


def _not_a_participant(connection: ConnectionFacts, person: PersonFacts, on: date) -> str:
    year = connection.participants_year_group
    if person.kind is not PersonKind.STUDENT:
        return f"not a final-test participant: only students of year group {year}"
    if person.year_group != year:
        return f"not a final-test participant: not in year group {year}"
    return f"not a final-test participant: not enrolled on {on.isoformat()}"


def is_released(connection: ConnectionFacts, person: PersonFacts, on: date) -> bool:
    """``decide_person(...).released``, by the same rules, without the per-attribute decisions."""
    return _person_reason(connection, person, on)[0] is Reason.RELEASED


def decide_person(connection: ConnectionFacts, person: PersonFacts, on: date) -> PersonDecision:
    """Whether this person is released, and each dataset attribute's decision."""
    reason, detail = _person_reason(connection, person, on)
    if reason is Reason.RELEASED:  # the common case, without hashing enums
        released = connection.decision_cache.get(person.kind is PersonKind.STUDENT)
        if released is None:
            released = _attributes(connection, person.kind, reason)
            connection.decision_cache[person.kind is PersonKind.STUDENT] = released
        return PersonDecision(person.person_id, person.kind, reason, detail, released)
    return PersonDecision(
        person.person_id, person.kind, reason, detail, _attributes(connection, person.kind, reason)
    )


def _attributes(
    connection: ConnectionFacts, kind: PersonKind, reason: Reason
) -> Mapping[str, Reason]:
    """The per-attribute decisions follow from the person's reason alone: built once each."""
    cache = connection.decision_cache
    found: Mapping[str, Reason] | None = cache.get((kind, reason))
    if found is None:
        plan = connection.plan[kind]
        if reason is Reason.RELEASED:
            built = {a: Reason.SWITCHED_OFF if off else Reason.RELEASED for a, off in plan}
        else:
            built = {a: reason for a, _off in plan}
        found = cache[(kind, reason)] = MappingProxyType(built)
    return found


def group_in_scope(connection: ConnectionFacts, group: GroupFacts) -> bool:
    """A group is released when groups are in the dataset and the group is in the outer scope."""
    if not connection.active or "groups" not in connection.entity_types:
        return False
    if group.school_id != connection.school_id:
        return False
    if connection.participants_on is not None and group.year_group != (
        connection.participants_year_group
    ):
        return False
    if connection.scope_kind == "groups":
        return group.group_id in connection.scope_groups
    if connection.scope_kind == "year_groups":
        return group.year_group in connection.scope_year_groups
    return True


def group_attributes(connection: ConnectionFacts) -> frozenset[str]:
    return frozenset(a for a in connection.released_attribute_ids if a.startswith("group."))
