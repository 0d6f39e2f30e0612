"""Release → OneRoster 1.2 records, checked against the official component schemas."""

from __future__ import annotations

import pytest

from koppelvlak.release.oneroster import Item, Renderer
from koppelvlak.release.values import PersonKind
from tests.factories import releases as make
from tests.support.oneroster_schema import body_errors

BASE = "https://koppelvlak.example.nl"


def records(items: list[Item]) -> list[dict[str, object]]:
    return [item.record for item in items]


class TestEveryRecordTypeValidatesAgainstTheOfficialSchema:
    @pytest.mark.parametrize(
        ("method", "set_schema", "key"),
        [
            ("orgs", "OrgSetDType", "orgs"),
            ("schools", "OrgSetDType", "orgs"),
            ("academic_sessions", "AcademicSessionSetDType", "academicSessions"),
            ("terms", "AcademicSessionSetDType", "academicSessions"),
            ("courses", "CourseSetDType", "courses"),
            ("classes", "ClassSetDType", "classes"),
            ("users", "UserSetDType", "users"),
            ("enrollments", "EnrollmentSetDType", "enrollments"),
            ("demographics", "DemographicsSetDType", "demographics"),
        ],
    )
    def test_a_full_release_renders_valid_records(
        self, method: str, set_schema: str, key: str
    ) -> None:
        rendered = records(getattr(Renderer(BASE, [make.release()]), method)())
        assert rendered, f"{method} rendered nothing"
        assert body_errors(set_schema, {key: rendered}) == []

    def test_a_release_with_every_attribute_withheld_still_validates(self) -> None:
        bare = make.release(
            people=(make.student(attributes={}),),
            groups=(make.group(attributes={}),),
            attribute_ids=frozenset(),
        )
        renderer = Renderer(BASE, [bare])
        assert body_errors("UserSetDType", {"users": records(renderer.users())}) == []
        assert body_errors("ClassSetDType", {"classes": records(renderer.classes())}) == []
        assert body_errors("CourseSetDType", {"courses": records(renderer.courses())}) == []

    def test_departed_people_validate_as_tobedeleted(self) -> None:
        gone = make.release(departed=(make.departed(),))
        users = records(Renderer(BASE, [gone]).users(departed=True))
        assert body_errors("UserSetDType", {"users": users}) == []
        assert (
            body_errors(
                "DemographicsSetDType",
                {"demographics": records(Renderer(BASE, [gone]).demographics(departed=True))},
            )
            == []
        )


class TestPeople:
    def test_the_sourced_id_of_a_person_is_the_pseudonym(self) -> None:
        users = records(Renderer(BASE, [make.release()]).users())
        assert {u["sourcedId"] for u in users} == {"stu-1", "tea-1"}

    def test_a_withheld_required_name_is_the_placeholder_and_named_in_metadata(self) -> None:
        only_given = make.student(attributes={"student.given_name": "Sem"})
        (user,) = records(Renderer(BASE, [make.release(people=(only_given,))]).users())
        assert user["givenName"] == "Sem"
        assert user["familyName"] == "-"
        assert user["metadata"] == {"nl.withheld": ["familyName"]}

    def test_withheld_optional_fields_are_absent(self) -> None:
        only_given = make.student(attributes={"student.given_name": "Sem"})
        (user,) = records(Renderer(BASE, [make.release(people=(only_given,))]).users())
        assert {"email", "userIds", "grades", "identifier", "username"}.isdisjoint(user)

    def test_a_released_but_empty_name_is_also_the_placeholder(self) -> None:
        blank = make.student(attributes={"student.given_name": "", "student.family_name": None})
        (user,) = records(Renderer(BASE, [make.release(people=(blank,))]).users())
        assert (user["givenName"], user["familyName"]) == ("-", "-")
        assert user["metadata"] == {"nl.withheld": ["givenName", "familyName"]}

    def test_released_fields_appear_in_their_oneroster_places(self) -> None:
        (user,) = records(
            Renderer(BASE, [make.release(people=(make.student(),))]).users([PersonKind.STUDENT])
        )
        assert user["email"] == "daan@example.nl"
        assert user["userIds"] == [{"type": "eckid", "identifier": "https://ketenid.nl/201703/abc"}]
        assert user["grades"] == ["06"]
        assert user["metadata"] == {"nl.namePrefix": "van", "nl.yearGroup": "8"}
        assert user["enabledUser"] == "true"
        assert user["roles"][0]["role"] == "student"
        assert user["roles"][0]["org"]["href"] == f"{BASE}/ims/oneroster/rostering/v1p2/orgs/12AB00"

    def test_date_times_are_utc_with_z(self) -> None:
        (user,) = records(Renderer(BASE, [make.release(people=(make.student(),))]).users())
        assert user["dateLastModified"] == "2025-11-03T12:00:00.000Z"

    def test_people_who_left_carry_the_placeholder_never_their_names(self) -> None:
        gone = make.release(departed=(make.departed("gone-7"),))
        users = records(Renderer(BASE, [gone]).users(departed=True))
        (user,) = [u for u in users if u["status"] == "tobedeleted"]
        assert (user["givenName"], user["familyName"]) == ("-", "-")
        assert user["metadata"] == {"nl.withheld": ["givenName", "familyName"]}

    def test_people_who_left_are_rendered_only_for_deltas(self) -> None:
        gone = make.release(departed=(make.departed("gone-7"),))
        plain = {u["sourcedId"] for u in records(Renderer(BASE, [gone]).users())}
        delta = {u["sourcedId"]: u for u in records(Renderer(BASE, [gone]).users(departed=True))}
        assert "gone-7" not in plain
        assert delta["gone-7"]["status"] == "tobedeleted"
        assert delta["gone-7"]["dateLastModified"] == "2025-11-01T09:30:00.000Z"

    def test_demographics_appear_only_when_the_dataset_releases_them(self) -> None:
        names_only = make.student(attributes={"student.given_name": "Sem"})
        without = make.release(people=(names_only,))
        assert Renderer(BASE, [without]).demographics() == []
        (record,) = records(Renderer(BASE, [make.release(people=(make.student(),))]).demographics())
        assert record["birthDate"] == "2013-04-02"
        assert record["sex"] == "male"


class TestClassesAndEnrollments:
    def test_a_class_refers_to_its_school_course_and_term(self) -> None:
        (cls,) = records(Renderer(BASE, [make.release()]).classes())
        assert cls["sourcedId"] == "grp-1"
        assert cls["title"] == "Groep 8A"
        assert cls["grades"] == ["06"]
        assert cls["metadata"] == {"nl.yearGroup": "8"}
        assert cls["school"]["sourcedId"] == "12AB00"
        assert cls["terms"][0]["sourcedId"] == "term-2025-2026"
        assert cls["course"]["sourcedId"] == "12AB00-leerjaar-8"

    def test_a_withheld_group_name_gives_the_placeholder_title(self) -> None:
        nameless = make.release(groups=(make.group(attributes={}),))
        (cls,) = records(Renderer(BASE, [nameless]).classes())
        assert cls["title"] == "-"
        assert cls["metadata"] == {"nl.withheld": ["title"]}
        assert "classCode" not in cls

    def test_the_kind_of_group_is_sent_only_when_the_dataset_releases_it(self) -> None:
        unlisted = make.release(groups=(make.group(kind="teaching_group"),))
        (cls,) = records(Renderer(BASE, [unlisted]).classes())
        assert "classType" not in cls
        assert "nl.groupKind" not in cls["metadata"]
        listed = make.group(attributes={"group.name": "2A wi", "group.kind": "teaching_group"})
        (cls,) = records(Renderer(BASE, [make.release(groups=(listed,))]).classes())
        assert cls["classType"] == "scheduled"
        assert cls["metadata"] == {"nl.groupKind": "teaching_group"}

    def test_a_class_group_released_with_its_kind_is_a_homeroom(self) -> None:
        homeroom = make.group(attributes={"group.name": "8A", "group.kind": "class_group"})
        (cls,) = records(Renderer(BASE, [make.release(groups=(homeroom,))]).classes())
        assert cls["classType"] == "homeroom"

    def test_enrollments_link_each_member_to_the_class(self) -> None:
        enrollments = records(Renderer(BASE, [make.release()]).enrollments())
        roles = {(e["user"]["sourcedId"], e["role"]) for e in enrollments}
        assert roles == {("stu-1", "student"), ("tea-1", "teacher")}

    def test_every_enrollment_says_whether_it_is_primary_and_a_student_never_is(self) -> None:
        enrollments = records(Renderer(BASE, [make.release()]).enrollments())
        primary = {e["role"]: e["primary"] for e in enrollments}
        assert primary == {"student": "false", "teacher": "true"}

    def test_memberships_of_unreleased_groups_are_not_rendered(self) -> None:
        hidden = make.release(people=(make.student(groups=("grp-9",)),))
        assert Renderer(BASE, [hidden]).enrollments() == []


class TestOrgs:
    def test_the_board_is_the_district_and_the_schools_its_children(self) -> None:
        two = make.release(schools=(make.school("12AB"), make.school("34CD")))
        orgs = records(Renderer(BASE, [two]).orgs())
        district = next(o for o in orgs if o["type"] == "district")
        assert {c["sourcedId"] for c in district["children"]} == {"12AB00", "34CD00"}
        assert sorted(o["sourcedId"] for o in orgs if o["type"] == "school") == [
            "12AB00",
            "34CD00",
        ]


class TestYearGroups:
    @pytest.mark.parametrize(
        ("year_group", "grade", "title"),
        [
            ("1", "PK", "Groep 1"),
            ("3", "01", "Groep 3"),
            ("11", "07", "Leerjaar 1"),
            ("16", "12", "Leerjaar 6"),
        ],
    )
    def test_a_course_has_the_ceds_grade_the_dutch_year_and_a_dutch_title(
        self, year_group: str, grade: str, title: str
    ) -> None:
        year = make.group(attributes={"group.name": "x", "group.year_group": year_group})
        (course,) = records(Renderer(BASE, [make.release(groups=(year,))]).courses())
        assert course["grades"] == [grade]
        assert course["metadata"] == {"nl.yearGroup": year_group}
        assert course["title"] == title
        assert course["courseCode"] == year_group
