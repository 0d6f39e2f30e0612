"""The pure engine against independent statements of each rule, over random facts."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from koppelvlak.kit.clock import age_on
from koppelvlak.release.engine import Reason, decide_person, in_scope
from koppelvlak.release.facts import ConnectionFacts, PersonFacts
from koppelvlak.release.values import PersonKind

SCHOOLS = [uuid.UUID(int=1), uuid.UUID(int=2)]
GROUPS = [uuid.UUID(int=10 + i) for i in range(4)]
YEARS = ["3", "5", "8"]
ATTRIBUTES = [
    "student.given_name",
    "student.birth_date",
    "student.eckid",
    "student.groups",
    "staff.email",
    "staff.role",
    "group.name",
]
ON = date(2026, 1, 5)

connections = st.builds(
    ConnectionFacts,
    connection_id=st.just(uuid.UUID(int=99)),
    board_id=st.just(uuid.UUID(int=98)),
    provider_id=st.just(uuid.UUID(int=97)),
    school_id=st.sampled_from(SCHOOLS),
    state=st.sampled_from(["active", "requested", "approved", "suspended", "revoked", "expired"]),
    provider_accredited=st.booleans(),
    dataset_attributes=st.dictionaries(st.sampled_from(ATTRIBUTES), st.booleans(), min_size=1),
    switched_off=st.frozensets(st.sampled_from(ATTRIBUTES)),
    entity_types=st.frozensets(st.sampled_from(["students", "staff", "groups"]), min_size=1),
    consent_based=st.booleans(),
    digital_consent_age=st.sampled_from([13, 16]),
    scope_kind=st.sampled_from(["whole_school", "groups", "year_groups"]),
    licensed_only=st.booleans(),
    scope_groups=st.frozensets(st.sampled_from(GROUPS)),
    scope_year_groups=st.frozensets(st.sampled_from(YEARS)),
)

people = st.builds(
    PersonFacts,
    person_id=st.uuids(),
    kind=st.sampled_from(list(PersonKind)),
    school_id=st.sampled_from(SCHOOLS),
    year_group=st.sampled_from([None, *YEARS]),
    birth_date=st.one_of(st.none(), st.dates(date(2005, 1, 1), date(2020, 12, 31))),
    group_ids=st.frozensets(st.sampled_from(GROUPS)),
    group_year_groups=st.frozensets(st.sampled_from(YEARS)),
    licensed=st.booleans(),
    objection=st.booleans(),
    consent=st.sampled_from([None, "given", "refused", "withdrawn"]),
)


class TestEngineInvariants:
    @given(connections, people)
    def test_released_attributes_are_in_the_dataset_and_not_switched_off(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        decision = decide_person(connection, person, ON)
        for attribute in decision.released_attributes:
            assert attribute in connection.dataset_attributes
            assert (
                connection.dataset_attributes[attribute] or attribute not in connection.switched_off
            )
            assert attribute.startswith(f"{person.kind}.")

    @given(connections, people)
    def test_nobody_outside_the_scope_is_released(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        decision = decide_person(connection, person, ON)
        if decision.released:
            assert person.school_id == connection.school_id
            if connection.licensed_only:
                assert person.licensed
            if connection.scope_kind == "groups":
                assert person.group_ids & connection.scope_groups
            if connection.scope_kind == "year_groups" and person.kind is PersonKind.STUDENT:
                assert person.year_group in connection.scope_year_groups

    @given(connections, people)
    def test_an_objection_is_always_respected(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        if person.objection:
            assert not decide_person(connection, person, ON).released

    @given(connections, people)
    def test_under_the_consent_age_without_consent_nobody_is_released_on_consent(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        decision = decide_person(connection, person, ON)
        if (
            connection.consent_based
            and person.kind is PersonKind.STUDENT
            and person.consent != "given"
            and (
                person.birth_date is None
                or age_on(person.birth_date, ON) < connection.digital_consent_age
            )
        ):
            assert not decision.released

    @given(connections, people)
    def test_an_inactive_connection_releases_nobody(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        decision = decide_person(connection, person, ON)
        if connection.state != "active" or not connection.provider_accredited:
            assert decision.reason is Reason.CONNECTION_INACTIVE
            assert decision.released_attributes == frozenset()

    @given(connections, people)
    def test_a_withheld_person_has_every_attribute_withheld_for_the_same_reason(
        self, connection: ConnectionFacts, person: PersonFacts
    ) -> None:
        decision = decide_person(connection, person, ON)
        if not decision.released:
            assert set(decision.attributes.values()) <= {decision.reason}
        else:
            assert in_scope(connection, person)
