"""Stepwise answers: which people each group entry selects, judged by the official XSD."""

from __future__ import annotations

from lxml import etree

from koppelvlak.api.uwlr.envelope import GroupRef
from koppelvlak.api.uwlr.stepwise import render_leerkrachten, render_leerlingen, render_structuur
from koppelvlak.release.values import Release
from tests.factories.release_values import SCHOOL, group, release, student, teacher
from tests.support.uwlr import LG_NS, NS, assert_valid, soap_payload, uwlr_schema

OPTIONS = {"profile": None, "xsd_version": "2.2", "last_received": None, "school_year": None}


def _release() -> Release:
    groups = (group("Groep 8A", index=1), group("Rekenclub", kind="composite_group", index=2))
    people = (
        student(1, groups=("g-0001", "g-0002")),
        student(2, groups=("g-0001",)),
        student(3, groups=("g-0002",)),  # no stamgroep
        student(4),  # no group at all
        teacher(1, groups=("g-0001",)),
        teacher(2, groups=("g-0002",)),
        teacher(3),
    )
    return release(people, groups)


def _payload(envelope: bytes, root: str) -> etree._Element:
    payload = soap_payload(envelope)
    assert payload.tag == f"{{{LG_NS}}}{root}"
    assert_valid(payload, uwlr_schema())  # the fixture's school year is 2024-2025: pristine
    return payload


def _keys(payload: etree._Element, xpath: str) -> list[str]:
    return [str(k) for k in payload.xpath(xpath, namespaces=NS)]


def students(*groups: GroupRef) -> list[str]:
    answer = render_leerlingen(_release(), SCHOOL, groups, **OPTIONS)  # type: ignore[arg-type]
    return _keys(_payload(answer.envelope, "leerlingen_antwoord"), ".//lg:leerling/@key")


def teachers(*groups: GroupRef) -> list[str]:
    answer = render_leerkrachten(_release(), SCHOOL, groups, **OPTIONS)  # type: ignore[arg-type]
    return _keys(_payload(answer.envelope, "leerkrachten_antwoord"), ".//lg:leerkracht/@key")


class TestStructure:
    def test_the_structure_has_every_group_and_no_people(self) -> None:
        answer = render_structuur(_release(), SCHOOL, **OPTIONS)  # type: ignore[arg-type]
        payload = _payload(answer.envelope, "structuur_antwoord")
        assert _keys(payload, ".//lg:groepen/*/@key") == ["g-0001", "g-0002"]
        assert (answer.person_ids, answer.outcome) == (frozenset(), "leerlinggegevens-structuur")
        assert answer.attribute_ids == {"group.name", "group.year_group", "group.description"}


class TestSelection:
    def test_a_stamgroep_key_selects_its_students(self) -> None:
        assert students(GroupRef("groep", "g-0001")) == ["p-000001", "p-000002"]

    def test_a_composite_key_selects_its_members(self) -> None:
        assert students(GroupRef("samengestelde_groep", "g-0002")) == ["p-000001", "p-000003"]

    def test_a_stamgroep_without_key_selects_students_with_no_stamgroep(self) -> None:
        assert students(GroupRef("groep", None)) == ["p-000003", "p-000004"]

    def test_a_composite_without_key_selects_students_in_no_composite(self) -> None:
        assert students(GroupRef("samengestelde_groep", None)) == ["p-000002", "p-000004"]

    def test_several_entries_select_the_union_once_each(self) -> None:
        selected = students(GroupRef("groep", "g-0001"), GroupRef("samengestelde_groep", "g-0002"))
        assert selected == ["p-000001", "p-000002", "p-000003"]

    def test_teachers_are_selected_by_the_groups_they_teach(self) -> None:
        assert teachers(GroupRef("groep", "g-0001")) == ["t-000001"]
        assert teachers(GroupRef("samengestelde_groep", "g-0002")) == ["t-000002"]
        assert teachers(GroupRef("groep", None)) == ["t-000002", "t-000003"]

    def test_an_unknown_key_selects_nobody_and_answers_geengegevens(self) -> None:
        answer = render_leerlingen(
            _release(),
            SCHOOL,
            (GroupRef("groep", "never-sent"),),
            **OPTIONS,  # type: ignore[arg-type]
        )
        payload = _payload(answer.envelope, "leerlingen_antwoord")
        assert payload.find("lg:geengegevens", NS) is not None
        assert answer.person_ids == frozenset()

    def test_the_ledger_gets_only_the_students_sent_and_their_attributes(self) -> None:
        answer = render_leerlingen(
            _release(),
            SCHOOL,
            (GroupRef("groep", "g-0001"),),
            **OPTIONS,  # type: ignore[arg-type]
        )
        assert {p.int for p in answer.person_ids} == {1, 2}
        assert answer.attribute_ids
        assert all(a.startswith("student.") for a in answer.attribute_ids)
