"""Dutch year groups become the CEDS grade levels OneRoster clients expect."""

from __future__ import annotations

import pytest

from koppelvlak.release.oneroster_grades import ceds_grades


class TestPrimaryGroups:
    @pytest.mark.parametrize(
        ("group", "grade"),
        [("1", "PK"), ("2", "KG"), ("3", "01"), ("4", "02"), ("7", "05"), ("8", "06")],
    )
    def test_groep_1_to_8_follow_the_age_of_the_child(self, group: str, grade: str) -> None:
        assert ceds_grades(group) == [grade]

    def test_a_zero_padded_code_is_the_same_group(self) -> None:
        assert ceds_grades("08") == ["06"]


class TestSecondaryYears:
    @pytest.mark.parametrize(
        ("year", "grade"), [("11", "07"), ("12", "08"), ("14", "10"), ("16", "12")]
    )
    def test_vo_leerjaar_1_to_6_are_grades_7_to_12(self, year: str, grade: str) -> None:
        assert ceds_grades(year) == [grade]


class TestCodesWithoutAnAge:
    @pytest.mark.parametrize("code", ["C", "N", "H", "17", "abc"])
    def test_get_no_grade_rather_than_a_wrong_one(self, code: str) -> None:
        assert ceds_grades(code) == []

    @pytest.mark.parametrize("code", ["S", "V"])
    def test_special_education_is_ungraded(self, code: str) -> None:
        assert ceds_grades(code) == ["UG"]
