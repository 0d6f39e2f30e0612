"""resolve and explain on a real database over random rosters, datasets, scopes and exceptions.

Each example builds a school with random students and staff, a random dataset, scope,
switched-off attributes, licences, objections and consents through the real services, then
checks every invariant of issue 5 against an oracle written from the data, not from the engine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions, scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import InvalidLicence
from koppelvlak.connections.models import (
    ConsentState,
    LicenceSource,
    PersonKindColumn,
    ScopeKind,
)
from koppelvlak.kit.clock import age_on
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import service as release
from koppelvlak.release.errors import ConnectionInactive
from koppelvlak.roster.models import (
    Group,
    GroupKind,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)
from tests.factories.providers import T0, Setup, board_with_school, connected

KEY = b"property-test-key-0123456789abcdef"
AT = T0 + timedelta(hours=1)
YEARS = ["3", "5", "8"]
STUDENT_ATTRIBUTES = [
    "student.given_name",
    "student.family_name",
    "student.birth_date",
    "student.eckid",
    "student.year_group",
    "student.groups",
]
STAFF_ATTRIBUTES = ["staff.given_name", "staff.email", "staff.groups"]
PURPOSES = ["learning_materials", "homework_support", "final_test"]


@dataclass(frozen=True)
class PersonSpec:
    year: str
    birth_date: date
    groups: frozenset[int]
    removed: bool
    licence: bool
    objection: bool
    consent: tuple[str, ...]  # successive parental decisions


person_specs = st.builds(
    PersonSpec,
    year=st.sampled_from(YEARS),
    birth_date=st.dates(date(2007, 6, 1), date(2016, 6, 1)),
    groups=st.frozensets(st.integers(0, 2)),
    removed=st.booleans(),
    licence=st.booleans(),
    objection=st.booleans(),
    consent=st.sampled_from([(), ("given",), ("refused",), ("given", "withdrawn")]),
)


@dataclass(frozen=True)
class World:
    students: list[PersonSpec]
    staff: list[PersonSpec]
    attributes: dict[str, bool]
    switched_off: frozenset[str]
    entity_types: frozenset[str]
    purpose: str
    scope_kind: ScopeKind
    scope_groups: frozenset[int]
    scope_years: frozenset[str]
    licensed_only: bool
    state: str


@st.composite
def worlds(draw: st.DrawFn) -> World:
    entity_types = draw(st.frozensets(st.sampled_from(["students", "staff"]), min_size=1))
    pool = [
        *(STUDENT_ATTRIBUTES if "students" in entity_types else []),
        *(STAFF_ATTRIBUTES if "staff" in entity_types else []),
    ]
    attributes = draw(st.dictionaries(st.sampled_from(pool), st.booleans(), min_size=1))
    if any(a.endswith(".groups") for a in attributes):
        entity_types = entity_types | {"groups"}
    kind = draw(st.sampled_from(list(ScopeKind)))
    return World(
        students=draw(st.lists(person_specs, max_size=8)),
        staff=draw(st.lists(person_specs, max_size=3)),
        attributes=attributes,
        switched_off=draw(
            st.frozensets(st.sampled_from([a for a, r in attributes.items() if not r] or ["-"]))
        )
        - {"-"},
        entity_types=entity_types,
        purpose=draw(st.sampled_from(PURPOSES)),
        scope_kind=kind,
        scope_groups=draw(st.frozensets(st.integers(0, 2), min_size=1))
        if kind is ScopeKind.GROUPS
        else frozenset(),
        scope_years=draw(st.frozensets(st.sampled_from(YEARS), min_size=1))
        if kind is ScopeKind.YEAR_GROUPS
        else frozenset(),
        licensed_only=draw(st.booleans()),
        state=draw(
            st.sampled_from(["active", "active", "active", "suspended", "revoked", "expired"])
        ),
    )


People = dict[uuid.UUID, tuple[str, PersonSpec]]


def _build(session: Session, world: World) -> tuple[Setup, People, list[uuid.UUID]]:
    board, school = board_with_school(session)
    groups = []
    for index in range(3):
        group = Group(
            board_id=board.id,
            school_id=school.id,
            source_key=f"G{index}",
            kind=GroupKind.CLASS_GROUP,
            name=f"Groep {YEARS[index]}",
            year_group=YEARS[index],
        )
        session.add(group)
        groups.append(group)
    session.flush()
    dataset = DatasetSpec(
        attributes=world.attributes, purpose_code=world.purpose, entity_types=world.entity_types
    )
    setup = connected(session, dataset, board=board, school=school, at=T0)
    people = _people(session, world, setup, groups)
    _choices(session, world, setup, groups)
    _exceptions(session, world, setup, people)
    _state(session, world, setup)
    session.flush()
    return setup, people, [g.id for g in groups]


def _people(session: Session, world: World, setup: Setup, groups: list[Group]) -> People:
    board_id, school = setup.board.id, setup.school
    people: People = {}
    for index, spec in enumerate(world.students):
        student = Student(
            board_id=board_id,
            school_id=school.id,
            source_key=f"S{index}",
            eckid=f"eck-{index}",
            given_name=f"Kind {index}",
            family_name="Jansen",
            birth_date=spec.birth_date,
            year_group=spec.year,
        )
        session.add(student)
        session.flush()
        for g in spec.groups:
            session.add(
                StudentMembership(board_id=board_id, student_id=student.id, group_id=groups[g].id)
            )
        people[student.id] = ("student", spec)
    for index, spec in enumerate(world.staff):
        member = Staff(
            board_id=board_id, school_id=school.id, source_key=f"M{index}", email=f"m{index}@x.nl"
        )
        session.add(member)
        session.flush()
        for g in spec.groups:
            session.add(
                StaffMembership(board_id=board_id, staff_id=member.id, group_id=groups[g].id)
            )
        people[member.id] = ("staff", spec)
    session.flush()
    return people


def _choices(session: Session, world: World, setup: Setup, groups: list[Group]) -> None:
    board_id, connection_id = setup.board.id, setup.connection.id
    scope.set_scope(
        session,
        board_id,
        connection_id,
        kind=world.scope_kind,
        group_ids=frozenset(groups[g].id for g in world.scope_groups),
        year_groups=world.scope_years,
        licensed_only=world.licensed_only,
        actor="admin:p",
        at=T0,
    )
    for attribute in world.switched_off:
        scope.switch_attribute(
            session, board_id, connection_id, attribute, on=False, actor="a", at=T0
        )


def _exceptions(session: Session, world: World, setup: Setup, people: People) -> None:
    board_id, connection_id = setup.board.id, setup.connection.id
    for person_id, (kind, spec) in people.items():
        if spec.licence:
            row = session.get(Student if kind == "student" else Staff, person_id)
            assert row is not None
            key = row.source_key
            try:
                scope.add_licences(
                    session,
                    board_id,
                    connection_id,
                    kind=PersonKindColumn(kind),
                    keys=[key],
                    source=LicenceSource.SCHOOL,
                    actor="a",
                    at=T0,
                )
            except InvalidLicence:
                # Refused exactly when the person is outside the outer scope.
                assert not _in_outer_scope(world, kind, spec)
            else:
                assert _in_outer_scope(world, kind, spec)
        if spec.objection:
            exceptions.record_objection(
                session, board_id, setup.provider.id, person_id, actor="a", at=T0
            )
        if kind == "student":
            for step, decision in enumerate(spec.consent):
                exceptions.record_consent(
                    session,
                    board_id,
                    setup.provider.id,
                    person_id,
                    ConsentState(decision),
                    decided_by="ouder",
                    at=T0 + timedelta(minutes=step + 1),
                )
    removed_at = T0 + timedelta(minutes=30)
    for person_id, (kind, spec) in people.items():
        if spec.removed:
            row = session.get(Student if kind == "student" else Staff, person_id)
            assert row is not None
            row.removed_at = removed_at


def _state(session: Session, world: World, setup: Setup) -> None:
    board_id, connection_id = setup.board.id, setup.connection.id
    if world.state == "suspended":
        connections.suspend(session, board_id, connection_id, actor="a", at=T0, reason="check")
    elif world.state == "revoked":
        connections.revoke(session, board_id, connection_id, actor="a", at=T0, reason="end")
    elif world.state == "expired":
        connections.set_end(
            session, board_id, connection_id, AT - timedelta(minutes=1), actor="a", at=T0
        )


def _in_outer_scope(world: World, kind: str, spec: PersonSpec) -> bool:
    if world.scope_kind is ScopeKind.GROUPS:
        return bool(spec.groups & world.scope_groups)
    if world.scope_kind is ScopeKind.YEAR_GROUPS:
        if kind == "student":
            return spec.year in world.scope_years
        return bool({YEARS[g] for g in spec.groups} & world.scope_years)
    return True


def _expected(world: World, kind: str, spec: PersonSpec) -> bool:
    """The oracle: whether this person may be released, straight from the issue's rules."""
    if spec.removed or ("students" if kind == "student" else "staff") not in world.entity_types:
        return False
    if not _in_outer_scope(world, kind, spec):
        return False
    if world.licensed_only and not spec.licence:
        return False
    if spec.objection:
        return False
    consent_given = spec.consent[-1:] == ("given",)
    return not (
        kind == "student"
        and world.purpose == "homework_support"
        and not consent_given
        and age_on(spec.birth_date, AT.date()) < 16
    )


class TestReleaseInvariants:
    @given(world=worlds())
    def test_resolve_matches_the_rules_and_explain_agrees_with_resolve(
        self, session: Session, world: World
    ) -> None:
        savepoint = session.begin_nested()
        try:
            setup, people, _groups = _build(session, world)
            connection_id = setup.connection.id
            if world.state != "active":
                with pytest.raises(ConnectionInactive):
                    release.resolve(session, connection_id, AT, KEY, digital_consent_age=16)
                for person_id in people:
                    if not people[person_id][1].removed:
                        assert not release.explain(
                            session, connection_id, person_id, AT, digital_consent_age=16
                        ).released
                return
            result = release.resolve(session, connection_id, AT, KEY, digital_consent_age=16)
            released = {p.person_id: p for p in result.people}
            expected = {pid for pid, (kind, spec) in people.items() if _expected(world, kind, spec)}
            assert set(released) == expected
            allowed = {
                a
                for a, required in world.attributes.items()
                if required or a not in world.switched_off
            }
            for person in result.people:
                assert set(person.attributes) <= allowed
                assert all(not a.endswith(".groups") for a in person.attributes)
                if person.group_pseudonyms:
                    assert f"{person.kind}.groups" in allowed
            for person_id, (_kind, spec) in people.items():
                if spec.removed:
                    continue
                explanation = release.explain(
                    session, connection_id, person_id, AT, digital_consent_age=16
                )
                assert explanation.released == (person_id in released)
                if person_id in released:
                    explained = {
                        a.attribute_id for a in explanation.attributes if a.reason == "released"
                    }
                    assert explained - {"student.groups", "staff.groups"} == set(
                        released[person_id].attributes
                    )
        finally:
            savepoint.rollback()

    @given(world=worlds())
    def test_pseudonyms_are_stable_per_provider_and_differ_across_providers(
        self, session: Session, world: World
    ) -> None:
        savepoint = session.begin_nested()
        try:
            if world.state != "active":
                return
            setup, _people, _groups = _build(session, world)
            first = setup.connection.id
            other = connected(
                session,
                DatasetSpec(
                    attributes=world.attributes,
                    purpose_code="learning_materials",
                    entity_types=world.entity_types,
                ),
                board=setup.board,
                school=setup.school,
                at=T0,
            )
            a = release.resolve(session, first, AT, KEY, digital_consent_age=16)
            again = release.resolve(
                session, first, AT + timedelta(days=1), KEY, digital_consent_age=16
            )
            b = release.resolve(session, other.connection.id, AT, KEY, digital_consent_age=16)
            assert {p.person_id: p.pseudonym for p in a.people} == {
                p.person_id: p.pseudonym
                for p in again.people
                if p.person_id in {q.person_id for q in a.people}
            }
            mine = {p.pseudonym for p in a.people} | {g.pseudonym for g in a.groups}
            theirs = {p.pseudonym for p in b.people} | {g.pseudonym for g in b.groups}
            assert not mine & theirs
            assert all(str(p.person_id) not in p.pseudonym for p in a.people)
        finally:
            savepoint.rollback()
