"""Whatever a release holds, the UWLR answer is valid against the official XSD and its profile."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from koppelvlak.api.uwlr.mapping import render_answer
from koppelvlak.release.values import (
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
)
from tests.factories.release_values import AT, EARLIER, SCHOOL
from tests.support.uwlr import assert_valid_answer

STUDENT_ATTRIBUTES = (
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
    "student.source_key",
)
STAFF_ATTRIBUTES = (
    "staff.given_name",
    "staff.family_name",
    "staff.name_prefix",
    "staff.initials",
    "staff.email",
    "staff.role",
    "staff.groups",
)
GROUP_ATTRIBUTES = ("group.name", "group.year_group", "group.description")
text = st.text(min_size=0, max_size=300)  # any characters, lengths beyond every facet
year_group = st.sampled_from(["1", "8", "11", "16", "S", "V", "99", "", "groep 3"])
sex = st.sampled_from(["male", "female", "unknown", "unspecified", "x", "1"])
role = st.sampled_from(["LRK", "ib", "Vakdocent gym", ""])


@st.composite
def releases(draw: st.DrawFn) -> Release:
    attributes = frozenset(
        draw(st.sets(st.sampled_from(STUDENT_ATTRIBUTES + STAFF_ATTRIBUTES + GROUP_ATTRIBUTES)))
    )
    groups = tuple(
        ReleasedGroup(
            group_id=uuid.UUID(int=10_000 + i),
            pseudonym=f"g{i}",
            kind=draw(st.sampled_from(["class_group", "teaching_group", "composite_group"])),
            school_brin="99XX",
            school_location_code="00",
            attributes={
                k: v
                for k, v in {
                    "group.name": draw(text),
                    "group.year_group": draw(year_group),
                    "group.description": draw(text),
                }.items()
                if k in attributes
            },
            updated_at=EARLIER,
        )
        for i in range(draw(st.integers(0, 4)))
    )
    pseudonyms = [g.pseudonym for g in groups]
    people = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from([PersonKind.STUDENT, PersonKind.STAFF]))
        prefix = "student." if kind is PersonKind.STUDENT else "staff."
        values = {
            prefix + "given_name": draw(text),
            prefix + "family_name": draw(text),
            prefix + "name_prefix": draw(text),
            prefix + "first_names": draw(text),
            prefix + "initials": draw(text),
            prefix + "birth_date": draw(st.dates(date(1990, 1, 1), date(2025, 1, 1))),
            prefix + "sex": draw(sex),
            prefix + "year_group": draw(year_group),
            prefix + "email": draw(text),
            prefix + "username": draw(text),
            prefix + "role": draw(role),
            prefix + "eckid": draw(st.sampled_from([None, f"https://ketenid.nl/{i}"])),
            prefix + "source_key": draw(st.sampled_from([None, f"LAS{i}"])),
        }
        mine = tuple(draw(st.lists(st.sampled_from(pseudonyms), unique=True))) if groups else ()
        people.append(
            ReleasedPerson(
                person_id=uuid.UUID(int=i + 1),
                kind=kind,
                pseudonym=f"p{i}",
                school_brin="99XX",
                school_location_code="00",
                attributes={k: v for k, v in values.items() if k in attributes},
                group_pseudonyms=mine if prefix + "groups" in attributes else (),
                group_roles={g: draw(role) for g in mine},
                updated_at=EARLIER,
            )
        )
    return Release(
        board_id=uuid.UUID(int=1),
        provider_id=uuid.UUID(int=2),
        connection_id=uuid.UUID(int=3),
        at=AT,
        attribute_ids=attributes,
        schools=(SCHOOL,),
        groups=groups,
        people=tuple(people),
    )


class TestEveryAnswerIsValid:
    @settings(max_examples=150, deadline=None)
    @given(release=releases(), profile=st.sampled_from([None, "smalle_set"]))
    def test_any_release_renders_a_schema_valid_answer(
        self, release: Release, profile: str | None
    ) -> None:
        answer = render_answer(release, SCHOOL, profile=profile)
        assert_valid_answer(answer.envelope, profile=profile, pristine=True)
        assert answer.person_ids <= {p.person_id for p in release.people}
