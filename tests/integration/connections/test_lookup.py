"""Admins name things as the school knows them: LAS keys, BRIN and location, app names.

Each finder also takes the id, looks inside one board only, and refuses a value that fits
several records, listing each with its id.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from koppelvlak.connections.errors import ConnectionNotFound, InvalidException, SchoolNotFound
from koppelvlak.connections.lookup import (
    GroupNotFound,
    find_connection,
    find_group,
    find_person,
    find_school,
)
from koppelvlak.connections.models import PersonKindColumn
from koppelvlak.errors import Ambiguous
from koppelvlak.providers.models import App
from koppelvlak.roster.models import School, Staff, Student
from tests.factories.providers import Setup, connected
from tests.factories.roster import GroupFactory, SchoolFactory, StudentFactory


def _second_school(session: Session, setup: Setup) -> School:
    school: School = SchoolFactory(
        board_id=setup.board.id, brin=setup.school.brin, location_code="01", name="Dependance"
    )
    session.add(school)
    session.flush()
    return school


def _student(session: Session, school: School, key: str) -> Student:
    student: Student = StudentFactory(board_id=school.board_id, school_id=school.id, source_key=key)
    session.add(student)
    session.flush()
    return student


class TestFindPerson:
    def test_a_las_key_finds_the_student(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup.school, "V1001")
        assert find_person(session, setup.board.id, "V1001") == student.id

    def test_an_id_is_taken_as_it_is(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup.school, "V1001")
        assert find_person(session, setup.board.id, str(student.id)) == student.id

    def test_a_key_of_two_people_lists_both_with_their_ids(self, session: Session) -> None:
        setup = connected(session)
        student = _student(session, setup.school, "1001")
        staff = Staff(
            id=uuid.uuid4(), board_id=setup.board.id, school_id=setup.school.id, source_key="1001"
        )
        session.add(staff)
        session.flush()
        with pytest.raises(Ambiguous) as raised:
            find_person(session, setup.board.id, "1001")
        code = f"{setup.school.brin}00"
        assert str(raised.value) == (
            f"'1001' fits 2 people: staff member at {code} ({staff.id}), student at {code} "
            f"({student.id}); give the id"
        )
        assert find_person(session, setup.board.id, "1001", PersonKindColumn.STUDENT) == (
            student.id
        )

    def test_an_unknown_key_says_what_was_expected(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(InvalidException) as raised:
            find_person(session, setup.board.id, "V1001")
        assert str(raised.value) == (
            "'V1001' is neither an id nor the LAS key of a current student or staff member "
            "of this board"
        )

    def test_a_student_of_another_board_is_not_found(self, session: Session) -> None:
        setup, other = connected(session), connected(session)
        _student(session, other.school, "V1001")
        with pytest.raises(InvalidException):
            find_person(session, setup.board.id, "V1001")


class TestFindSchool:
    @pytest.mark.parametrize("typed", ["{brin}", "{brin}00", "{brin}:00", "{lower}00"])
    def test_brin_with_or_without_location_finds_the_school(
        self, session: Session, typed: str
    ) -> None:
        setup = connected(session)
        brin = setup.school.brin
        value = typed.format(brin=brin, lower=brin.lower())
        assert find_school(session, setup.board.id, value) == setup.school.id

    def test_a_bare_brin_of_two_locations_lists_both(self, session: Session) -> None:
        setup = connected(session)
        second = _second_school(session, setup)
        brin = setup.school.brin
        with pytest.raises(Ambiguous) as raised:
            find_school(session, setup.board.id, brin)
        assert str(raised.value) == (
            f"{brin!r} fits 2 schools: {brin}00 {setup.school.name} ({setup.school.id}), "
            f"{brin}01 Dependance ({second.id}); give the id"
        )
        assert find_school(session, setup.board.id, f"{brin}01") == second.id
        assert find_school(session, setup.board.id, "dependance") == second.id

    def test_an_unknown_school_names_the_accepted_forms(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(SchoolNotFound) as raised:
            find_school(session, setup.board.id, "00ZZ")
        assert str(raised.value) == (
            "no school '00ZZ' in this board; expected an id, a BRIN such as 99XX, BRIN and "
            "location such as 99XX00, or the school's name"
        )


class TestFindGroup:
    def test_a_group_is_found_by_key_then_by_name(self, session: Session) -> None:
        setup = connected(session)
        group = GroupFactory(
            board_id=setup.board.id, school_id=setup.school.id, source_key="G1", name="Groep 1A"
        )
        session.add(group)
        session.flush()
        assert find_group(session, setup.board.id, setup.school.id, "G1") == group.id
        assert find_group(session, setup.board.id, setup.school.id, "groep 1a") == group.id
        with pytest.raises(GroupNotFound) as raised:
            find_group(session, setup.board.id, setup.school.id, "Groep 9")
        assert str(raised.value) == (
            "'Groep 9' is neither an id nor the key or name of a current group of the "
            "connection's school"
        )


class TestFindConnection:
    def test_the_app_name_or_slug_finds_the_connection(self, session: Session) -> None:
        setup = connected(session)
        name = session.get_one(App, setup.app_id).name
        assert find_connection(session, setup.board.id, name.upper()) == setup.connection.id
        slugged = name.lower().replace(" ", "-")
        assert find_connection(session, setup.board.id, slugged) == setup.connection.id

    def test_an_app_connected_at_two_schools_lists_both_and_takes_school_slash_app(
        self, session: Session
    ) -> None:
        setup = connected(session)
        second = _second_school(session, setup)
        other = connected(
            session,
            board=setup.board,
            school=second,
            provider=setup.provider,
        )
        app = session.get_one(App, setup.app_id)
        app.name = "Leesland"
        session.get_one(App, other.app_id).name = "leesland"
        session.flush()
        with pytest.raises(Ambiguous) as raised:
            find_connection(session, setup.board.id, "Leesland")
        brin = setup.school.brin
        assert str(raised.value) == (
            f"'Leesland' fits 2 connections: Leesland at {brin}00 ({setup.connection.id}), "
            f"leesland at {brin}01 ({other.connection.id}); give the id"
        )
        assert find_connection(session, setup.board.id, f"{brin}01/Leesland") == (
            other.connection.id
        )

    def test_an_unknown_app_points_to_the_list(self, session: Session) -> None:
        setup = connected(session)
        with pytest.raises(ConnectionNotFound) as raised:
            find_connection(session, setup.board.id, "Nope")
        assert str(raised.value) == (
            "no connection 'Nope' in this board; expected an id or the app's name "
            "('koppelvlak connection list' shows them)"
        )
