"""Hand-built ``Release`` values for tests of the renderers (no database, no policy engine)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from koppelvlak.release.values import (
    AttributeValue,
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

AT = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
EARLIER = datetime(2024, 12, 1, 8, 0, tzinfo=UTC)
SCHOOL = ReleasedSchool(
    school_id=uuid.UUID(int=1),
    brin="99XX",
    location_code="00",
    name="Basisschool De Regenboog",
    sector="PO",
    school_year="2024-2025",
)
FULL_STUDENT = frozenset(
    {
        "student.given_name",
        "student.family_name",
        "student.name_prefix",
        "student.first_names",
        "student.initials",
        "student.birth_date",
        "student.sex",
        "student.year_group",
        "student.email",
        "student.username",
        "student.groups",
        "student.eckid",
    }
)
FULL_STAFF = frozenset(
    {"staff.given_name", "staff.family_name", "staff.email", "staff.role", "staff.groups"}
)
GROUP_ATTRIBUTES = frozenset({"group.name", "group.year_group", "group.description"})


def group(
    name: str, *, kind: str = "class_group", year: str | None = "8", index: int = 1
) -> ReleasedGroup:
    attributes: dict[str, AttributeValue] = {"group.name": name, "group.description": name}
    if year is not None:
        attributes["group.year_group"] = year
    return ReleasedGroup(
        group_id=uuid.UUID(int=1000 + index),
        pseudonym=f"g-{index:04d}",
        kind=kind,
        school_brin="99XX",
        school_location_code="00",
        attributes=attributes,
        updated_at=EARLIER,
    )


def student(
    index: int,
    attribute_ids: frozenset[str] = FULL_STUDENT,
    *,
    groups: tuple[str, ...] = (),
    brin: str = "99XX",
) -> ReleasedPerson:
    values: dict[str, AttributeValue] = {
        "student.given_name": f"Emma{index}",
        "student.family_name": "Vries",
        "student.name_prefix": "de",
        "student.first_names": f"Emma{index} Johanna",
        "student.initials": "E.J.",
        "student.birth_date": date(2013, 3, 1),
        "student.sex": "female",
        "student.year_group": "8",
        "student.email": f"emma{index}@example.org",
        "student.username": f"emma{index}",
        "student.eckid": f"https://ketenid.nl/201703/{index:0128x}",
        "student.source_key": f"000{index}",
    }
    return ReleasedPerson(
        person_id=uuid.UUID(int=index),
        kind=PersonKind.STUDENT,
        pseudonym=f"p-{index:06d}",
        school_brin=brin,
        school_location_code="00",
        attributes={k: v for k, v in values.items() if k in attribute_ids},
        group_pseudonyms=groups if "student.groups" in attribute_ids else (),
        updated_at=EARLIER,
    )


def teacher(
    index: int, attribute_ids: frozenset[str] = FULL_STAFF, *, groups: tuple[str, ...] = ()
) -> ReleasedPerson:
    values: dict[str, AttributeValue] = {
        "staff.given_name": f"Karin{index}",
        "staff.family_name": "Jansen",
        "staff.email": f"k{index}@example.org",
        "staff.role": "LRK",
    }
    return ReleasedPerson(
        person_id=uuid.UUID(int=50_000 + index),
        kind=PersonKind.STAFF,
        pseudonym=f"t-{index:06d}",
        school_brin="99XX",
        school_location_code="00",
        attributes={k: v for k, v in values.items() if k in attribute_ids},
        group_pseudonyms=groups if "staff.groups" in attribute_ids else (),
        group_roles=dict.fromkeys(groups, "LRK"),
        updated_at=EARLIER,
    )


def release(
    people: tuple[ReleasedPerson, ...],
    groups: tuple[ReleasedGroup, ...] = (),
    attribute_ids: frozenset[str] = FULL_STUDENT | FULL_STAFF | GROUP_ATTRIBUTES,
    *,
    school: ReleasedSchool = SCHOOL,
    at: datetime = AT,
) -> Release:
    return Release(
        board_id=uuid.UUID(int=77),
        provider_id=uuid.UUID(int=88),
        connection_id=uuid.UUID(int=99),
        at=at,
        attribute_ids=attribute_ids,
        schools=(school,),
        groups=groups,
        people=people,
    )
