"""Scope, switched-off attributes and licences: what the school chooses, and what it may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.connections import scope
from koppelvlak.connections.errors import InvalidLicence, InvalidScope
from koppelvlak.connections.models import Licence, LicenceSource, PersonKindColumn, ScopeKind
from koppelvlak.release import service as release
from koppelvlak.roster.models import Group, Student
from tests.factories.providers import T0, Setup, connected
from tests.factories.roster import (
    GroupFactory,
    SchoolFactory,
    StudentFactory,
    StudentMembershipFactory,
)

KEY = b"s" * 32


def _group(session: Session, setup: Setup, year: str, school_id: object = None) -> Group:
    group: Group = GroupFactory(
        board_id=setup.board.id, school_id=school_id or setup.school.id, year_group=year
    )
    session.add(group)
    session.flush()
    return group


def _student(
    session: Session, setup: Setup, key: str, year: str, group: Group | None = None
) -> Student:
    student: Student = StudentFactory(
        board_id=setup.board.id,
        school_id=setup.school.id,
        source_key=key,
        eckid=f"eck-{key}",
        year_group=year,
    )
    session.add(student)
    session.flush()
    if group is not None:
        session.add(
            StudentMembershipFactory(
                board_id=setup.board.id, student_id=student.id, group_id=group.id
            )
        )
        session.flush()
    return student


def _licences(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Licence)) or 0


class TestScope:
    def test_a_groups_scope_releases_only_members_of_those_groups(self, session: Session) -> None:
        setup = connected(session)
        eight, five = _group(session, setup, "8"), _group(session, setup, "5")
        emma = _student(session, setup, "1", "8", eight)
        _student(session, setup, "2", "5", five)
        scope.set_scope(
            session,
            setup.board.id,
            setup.connection.id,
            kind=ScopeKind.GROUPS,
            group_ids=frozenset({eight.id}),
            actor="admin:a",
            at=T0,
        )
        result = release.resolve(session, setup.connection.id, T0, KEY)
        assert [p.person_id for p in result.people] == [emma.id]

    def test_a_group_of_another_school_is_refused(self, session: Session) -> None:
        setup = connected(session)
        other = SchoolFactory(board_id=setup.board.id)
        session.add(other)
        session.flush()
        foreign = _group(session, setup, "8", school_id=other.id)
        with pytest.raises(InvalidScope) as raised:
            scope.set_scope(
                session,
                setup.board.id,
                setup.connection.id,
                kind=ScopeKind.GROUPS,
                group_ids=frozenset({foreign.id}),
                actor="a",
                at=T0,
            )
        assert str(raised.value) == f"not a current group of the connection's school: {foreign.id}"

    def test_a_groups_scope_without_groups_is_refused(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(InvalidScope) as raised:
            scope.set_scope(
                session,
                setup.board.id,
                setup.connection.id,
                kind=ScopeKind.GROUPS,
                actor="a",
                at=T0,
            )
        assert str(raised.value) == "a groups scope needs at least one group"

    def test_the_scope_follows_the_roster(self, session: Session) -> None:
        setup = connected(session)
        scope.set_scope(
            session,
            setup.board.id,
            setup.connection.id,
            kind=ScopeKind.YEAR_GROUPS,
            year_groups=frozenset({"8"}),
            actor="a",
            at=T0,
        )
        student = _student(session, setup, "1", "7")
        assert release.resolve(session, setup.connection.id, T0, KEY).people == ()
        student.year_group = "8"
        session.flush()
        assert len(release.resolve(session, setup.connection.id, T0, KEY).people) == 1


class TestSwitchOff:
    def test_an_optional_attribute_switched_off_is_withheld(self, session: Session) -> None:
        setup = connected(session)
        _student(session, setup, "1", "8")
        scope.switch_attribute(
            session,
            setup.board.id,
            setup.connection.id,
            "student.year_group",
            on=False,
            actor="a",
            at=T0,
        )
        person = release.resolve(session, setup.connection.id, T0, KEY).people[0]
        assert set(person.attributes) == {"student.given_name"}

    def test_a_required_attribute_cannot_be_switched_off(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(InvalidScope) as raised:
            scope.switch_attribute(
                session,
                setup.board.id,
                setup.connection.id,
                "student.given_name",
                on=False,
                actor="a",
                at=T0,
            )
        assert (
            str(raised.value)
            == "attribute student.given_name is required by the dataset and cannot be switched off"
        )


class TestLicences:
    def test_licensed_only_releases_the_licensed_students(self, session: Session) -> None:
        setup = connected(session, licensed_only=True)
        emma = _student(session, setup, "1", "8")
        _student(session, setup, "2", "8")
        scope.add_licences(
            session,
            setup.board.id,
            setup.connection.id,
            kind=PersonKindColumn.STUDENT,
            keys=["1"],
            source=LicenceSource.SCHOOL,
            actor="a",
            at=T0,
        )
        result = release.resolve(session, setup.connection.id, T0 + timedelta(seconds=1), KEY)
        assert [p.person_id for p in result.people] == [emma.id]

    def test_a_licence_outside_the_scope_is_refused_and_nothing_changes(
        self, session: Session
    ) -> None:
        setup = connected(session, scope_kind=ScopeKind.WHOLE_SCHOOL, licensed_only=True)
        scope.set_scope(
            session,
            setup.board.id,
            setup.connection.id,
            kind=ScopeKind.YEAR_GROUPS,
            year_groups=frozenset({"8"}),
            licensed_only=True,
            actor="a",
            at=T0,
        )
        _student(session, setup, "1", "8")
        _student(session, setup, "2", "5")
        with pytest.raises(InvalidLicence) as raised:
            scope.add_licences(
                session,
                setup.board.id,
                setup.connection.id,
                kind=PersonKindColumn.STUDENT,
                keys=["eck-1", "eck-2"],
                source=LicenceSource.PROVIDER,
                actor="provider:p",
                at=T0,
            )
        assert str(raised.value) == "outside the connection's scope, not licensed: eck-2"
        assert _licences(session) == 0

    def test_an_unknown_key_is_refused(self, session: Session) -> None:
        setup = connected(session, licensed_only=True)
        with pytest.raises(InvalidLicence) as raised:
            scope.add_licences(
                session,
                setup.board.id,
                setup.connection.id,
                kind=PersonKindColumn.STUDENT,
                keys=["404"],
                source=LicenceSource.SCHOOL,
                actor="a",
                at=T0,
            )
        assert str(raised.value) == "no current student with key 404 at the connection's school"
