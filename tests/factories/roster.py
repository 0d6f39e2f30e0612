"""Roster factories: a board, a school and the people in it."""

from __future__ import annotations

import uuid
from datetime import date

import factory

from koppelvlak.roster.models import (
    Board,
    Group,
    GroupKind,
    School,
    Sector,
    Sex,
    Student,
    StudentMembership,
)


class BoardFactory(factory.Factory):
    class Meta:
        model = Board

    id = factory.LazyFunction(uuid.uuid4)
    code = factory.Sequence(lambda n: f"B{n:05d}")
    name = factory.Sequence(lambda n: f"Stichting Testscholen {n}")


class SchoolFactory(factory.Factory):
    class Meta:
        model = School

    id = factory.LazyFunction(uuid.uuid4)
    board_id = factory.LazyFunction(uuid.uuid4)
    brin = factory.Sequence(lambda n: f"{n % 100:02d}{chr(65 + n // 100 % 26)}{chr(65 + n % 26)}")
    location_code = "00"
    name = factory.Sequence(lambda n: f"School {n}")
    sector = Sector.PO


class GroupFactory(factory.Factory):
    class Meta:
        model = Group

    id = factory.LazyFunction(uuid.uuid4)
    board_id = factory.LazyFunction(uuid.uuid4)
    school_id = factory.LazyFunction(uuid.uuid4)
    source_key = factory.Sequence(lambda n: f"Groep {n}")
    kind = GroupKind.CLASS_GROUP
    name = factory.SelfAttribute("source_key")
    year_group = "8"


class StudentFactory(factory.Factory):
    class Meta:
        model = Student

    class Params:
        under_16 = factory.Trait(birth_date=date(2015, 3, 1))
        adult = factory.Trait(birth_date=date(2000, 3, 1))

    id = factory.LazyFunction(uuid.uuid4)
    board_id = factory.LazyFunction(uuid.uuid4)
    school_id = factory.LazyFunction(uuid.uuid4)
    source_key = factory.Sequence(lambda n: f"{100000 + n}")
    family_name = "Jansen"
    name_prefix = None
    given_name = factory.Sequence(lambda n: f"Kind{n}")
    birth_date = date(2014, 5, 17)
    sex = Sex.FEMALE
    year_group = "8"


class StudentMembershipFactory(factory.Factory):
    class Meta:
        model = StudentMembership

    id = factory.LazyFunction(uuid.uuid4)
    board_id = factory.LazyFunction(uuid.uuid4)
    student_id = factory.LazyFunction(uuid.uuid4)
    group_id = factory.LazyFunction(uuid.uuid4)
