"""Hand-built ``Release`` values (the release contract) for the renderers' unit tests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime

from koppelvlak.release.values import (
    AttributeValue,
    DepartedPerson,
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

AT = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
ALL_STUDENT = {
    "student.given_name": "Daan",
    "student.family_name": "Dijk",
    "student.name_prefix": "van",
    "student.birth_date": date(2013, 4, 2),
    "student.sex": "male",
    "student.year_group": "8",
    "student.email": "daan@example.nl",
    "student.eckid": "https://ketenid.nl/201703/abc",
}
ALL_STAFF = {"staff.given_name": "Fleur", "staff.family_name": "Bakker", "staff.email": "f@x.nl"}
GROUP = {"group.name": "Groep 8A", "group.year_group": "8"}


def school(brin: str = "12AB", location: str = "00") -> ReleasedSchool:
    return ReleasedSchool(uuid.uuid4(), brin, location, f"Basisschool {brin}", "PO", "2025-2026")


def group(
    pseudonym: str = "grp-1",
    attributes: Mapping[str, AttributeValue] | None = None,
    brin: str = "12AB",
    kind: str = "class_group",
) -> ReleasedGroup:
    return ReleasedGroup(
        uuid.uuid4(),
        pseudonym,
        kind,
        brin,
        "00",
        GROUP if attributes is None else attributes,
        AT,
    )


def student(
    pseudonym: str = "stu-1",
    attributes: Mapping[str, AttributeValue] | None = None,
    groups: tuple[str, ...] = ("grp-1",),
    brin: str = "12AB",
) -> ReleasedPerson:
    return ReleasedPerson(
        uuid.uuid4(),
        PersonKind.STUDENT,
        pseudonym,
        brin,
        "00",
        ALL_STUDENT if attributes is None else attributes,
        groups,
        updated_at=AT,
    )


def teacher(pseudonym: str = "tea-1", groups: tuple[str, ...] = ("grp-1",)) -> ReleasedPerson:
    return ReleasedPerson(
        uuid.uuid4(),
        PersonKind.STAFF,
        pseudonym,
        "12AB",
        "00",
        ALL_STAFF,
        groups,
        group_roles={"grp-1": "mentor"},
        updated_at=AT,
    )


def release(
    people: tuple[ReleasedPerson, ...] | None = None,
    groups: tuple[ReleasedGroup, ...] | None = None,
    schools: tuple[ReleasedSchool, ...] | None = None,
    attribute_ids: frozenset[str] | None = None,
    departed: tuple[DepartedPerson, ...] = (),
) -> Release:
    people = (student(), teacher()) if people is None else people
    ids = attribute_ids
    if ids is None:
        ids = frozenset(k for p in people for k in p.attributes) | frozenset(GROUP)
    return Release(
        board_id=uuid.uuid4(),
        provider_id=uuid.uuid4(),
        connection_id=uuid.uuid4(),
        at=AT,
        attribute_ids=ids,
        schools=(school(),) if schools is None else schools,
        groups=(group(),) if groups is None else groups,
        people=people,
        departed=departed,
    )


def departed(pseudonym: str = "gone-1", kind: PersonKind = PersonKind.STUDENT) -> DepartedPerson:
    return DepartedPerson(uuid.uuid4(), kind, pseudonym, datetime(2025, 11, 1, 9, 30, tzinfo=UTC))
