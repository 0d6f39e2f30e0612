"""Approval-time check: which UWLR element a dataset cannot fill, and why."""

from __future__ import annotations

import pytest

from koppelvlak.connections.uwlr_requirements import (
    UwlrNotDeliverable,
    UwlrProblem,
    check_deliverable,
    uwlr_problems,
    uwlr_unsent,
)

NAMES = {"student.family_name", "student.given_name"}


class TestFullMessage:
    def test_a_minimal_named_dataset_has_no_problems(self) -> None:
        assert uwlr_problems({"student.given_name"}, None) == []

    def test_a_dataset_without_any_name_is_refused_naming_the_element(self) -> None:
        assert uwlr_problems({"student.year_group"}, None) == [
            UwlrProblem(
                "leerling/achternaam|roepnaam",
                "UWLR requires a name for every student; the dataset releases neither "
                "student.family_name nor student.given_name",
            )
        ]

    def test_groups_without_a_year_group_are_refused(self) -> None:
        problems = uwlr_problems(NAMES | {"student.groups", "group.name"}, None)
        assert [str(p) for p in problems] == [
            "groep/jaargroep: class groups are released but group.year_group is not; UWLR "
            "requires the year group of every groep (release it, or drop the memberships)"
        ]

    def test_staff_without_a_name_is_refused(self) -> None:
        problems = uwlr_problems(NAMES | {"staff.email"}, None)
        assert [p.element for p in problems] == ["leerkracht/achternaam|roepnaam"]


class TestProfiles:
    def test_attributes_the_smalle_set_cannot_carry_do_not_block_but_are_named(self) -> None:
        ids = NAMES | {"student.email", "student.sex"}
        assert uwlr_problems(ids, "smalle_set") == []
        assert [str(p) for p in uwlr_unsent(ids, "smalle_set")] == [
            "leerling/emailadres: student.email is released but the Smalle set has no "
            "leerling/emailadres; UWLR answers leave it out",
            "leerling/geslacht: student.sex is released but the Smalle set has no "
            "leerling/geslacht; UWLR answers leave it out",
        ]

    def test_the_full_message_leaves_nothing_out(self) -> None:
        assert uwlr_unsent(NAMES | {"student.email"}, None) == []

    def test_the_lvs_set_always_fails_on_the_bsn_digits(self) -> None:
        ids = NAMES | {"student.birth_date", "student.sex", "student.year_group"}
        assert [p.element for p in uwlr_problems(ids, "lvs_set")] == ["leerling/bsn_ondwnr-4"]

    def test_the_lvs_set_lists_each_missing_required_element(self) -> None:
        elements = [p.element for p in uwlr_problems({"student.family_name"}, "lvs_set")]
        assert elements == [
            "leerling/roepnaam",
            "leerling/geboortedatum",
            "leerling/geslacht",
            "leerling/jaargroep",
            "leerling/bsn_ondwnr-4",
        ]

    def test_an_unknown_profile_is_a_problem(self) -> None:
        assert [str(p) for p in uwlr_problems(NAMES, "big_set")] == [
            "gegevensset: unknown UWLR profile 'big_set'"
        ]


class TestApprovalHook:
    def test_a_deliverable_dataset_passes(self) -> None:
        check_deliverable("smalle_set", NAMES | {"student.year_group"}, {"students"})

    def test_every_problem_is_in_the_one_line_message(self) -> None:
        with pytest.raises(UwlrNotDeliverable) as caught:
            check_deliverable("smalle_set", {"student.groups", "group.year_group"}, set())
        assert caught.value.detail == (
            "this dataset cannot be delivered over UWLR: leerling/achternaam|roepnaam: UWLR "
            "requires a name for every student; the dataset releases neither "
            "student.family_name nor student.given_name; groep/naam: groups are released "
            "(memberships) but group.name is not; UWLR requires a name for every group"
        )

    def test_memberships_are_not_checked_when_groups_are_not_sent(self) -> None:
        check_deliverable(None, NAMES | {"student.groups"}, {"students"})
