"""Release → leerlinggegevens_antwoord, judged by the official XSD (pristine and overlaid)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from koppelvlak.api.uwlr.mapping import render_answer
from tests.factories.release_values import (
    AT,
    EARLIER,
    FULL_STAFF,
    FULL_STUDENT,
    GROUP_ATTRIBUTES,
    SCHOOL,
    group,
    release,
    student,
    teacher,
)
from tests.support.uwlr import NS, assert_valid_answer, soap_payload


def _full_release() -> object:
    groups = (group("Groep 8A", index=1), group("Rekenclub", kind="composite_group", index=2))
    people = (
        student(1, groups=("g-0001", "g-0002")),
        student(2, groups=("g-0001",)),
        teacher(1, groups=("g-0001", "g-0002")),
    )
    return release(people, groups)


class TestFullAnswer:
    def test_a_full_release_validates_against_the_pristine_official_schema(self) -> None:
        answer = render_answer(_full_release(), SCHOOL)  # type: ignore[arg-type]
        antwoord = assert_valid_answer(answer.envelope, pristine=True)
        assert answer.outcome == "leerlinggegevens"
        assert len(antwoord.findall(".//lg:leerling", NS)) == 2
        assert antwoord.findtext("lg:leerlinggegevens/lg:school/lg:schooljaar", namespaces=NS) == (
            "2024-2025"
        )

    def test_students_are_keyed_by_pseudonym_with_eckid_only_when_released(self) -> None:
        antwoord = soap_payload(render_answer(_full_release(), SCHOOL).envelope)  # type: ignore[arg-type]
        first = antwoord.find(".//lg:leerling", NS)
        assert first is not None
        assert first.get("key") == "p-000001"
        assert first.get("eckid", "").startswith("https://ketenid.nl/")

    def test_the_las_key_is_used_only_when_source_key_is_released(self) -> None:
        ids = FULL_STUDENT | {"student.source_key"}
        answer = render_answer(release((student(1, ids),), (), ids), SCHOOL)
        assert soap_payload(answer.envelope).find(".//lg:leerling", NS).get("key") == "0001"  # type: ignore[union-attr]

    def test_the_ledger_gets_every_person_in_the_answer(self) -> None:
        answer = render_answer(_full_release(), SCHOOL)  # type: ignore[arg-type]
        assert {p.int for p in answer.person_ids} == {1, 2, 50_001}
        assert "student.birth_date" in answer.attribute_ids

    def test_a_later_school_year_validates_with_the_overlay(self) -> None:
        later = dataclasses.replace(SCHOOL, school_year="2026-2027")
        answer = render_answer(release((student(1),), school=later), later)
        assert_valid_answer(answer.envelope)
        with pytest.raises(AssertionError, match="2026-2027"):
            assert_valid_answer(answer.envelope, pristine=True)


class TestWithheldElements:
    def test_withheld_attributes_are_left_out(self) -> None:
        ids = frozenset({"student.family_name", "student.year_group"})
        answer = render_answer(release((student(1, ids),), (), ids), SCHOOL)
        leerling = assert_valid_answer(answer.envelope).find(".//lg:leerling", NS)
        assert leerling is not None
        assert [child.tag.split("}")[1] for child in leerling] == ["achternaam", "jaargroep"]
        assert leerling.get("eckid") is None

    def test_a_call_name_alone_is_the_roepnaam_branch(self) -> None:
        ids = frozenset({"student.given_name"})
        answer = render_answer(release((student(1, ids),), (), ids), SCHOOL)
        leerling = assert_valid_answer(answer.envelope).find(".//lg:leerling", NS)
        assert [child.tag.split("}")[1] for child in leerling] == ["roepnaam"]  # type: ignore[union-attr]

    def test_groups_without_a_year_group_are_not_sent_nor_referenced(self) -> None:
        ids = FULL_STUDENT | frozenset({"group.name"})
        people = (student(1, ids, groups=("g-0001",)),)
        answer = render_answer(release(people, (group("8A", year=None),), ids), SCHOOL)
        antwoord = assert_valid_answer(answer.envelope)
        assert antwoord.find(".//lg:groepen", NS) is None
        assert antwoord.find(".//lg:leerling/lg:groep", NS) is None


class TestEmptyAnswers:
    def test_no_released_students_is_geengegevens(self) -> None:
        answer = render_answer(release((teacher(1),)), SCHOOL)
        antwoord = assert_valid_answer(answer.envelope)
        assert antwoord.find("lg:geengegevens", NS) is not None
        assert answer.person_ids == frozenset()

    def test_students_of_another_school_are_not_sent(self) -> None:
        answer = render_answer(release((student(1, brin="99YY"),)), SCHOOL)
        assert answer.outcome == "geengegevens"

    def test_another_school_year_is_geengegevens(self) -> None:
        answer = render_answer(release((student(1),)), SCHOOL, school_year="2023-2024")
        assert answer.outcome == "geengegevens"

    def test_nothing_changed_since_the_last_fetch_is_geenwijzigingen(self) -> None:
        answer = render_answer(release((student(1),)), SCHOOL, last_received=AT)
        assert_valid_answer(answer.envelope)
        assert answer.outcome == "geenwijzigingen"

    def test_a_change_after_the_last_fetch_sends_everything(self) -> None:
        answer = render_answer(
            release((student(1),)), SCHOOL, last_received=EARLIER - timedelta(days=1)
        )
        assert answer.outcome == "leerlinggegevens"


class TestProfiles:
    def test_a_full_release_is_narrowed_to_the_smalle_set(self) -> None:
        answer = render_answer(_full_release(), SCHOOL, profile="smalle_set")  # type: ignore[arg-type]
        antwoord = assert_valid_answer(answer.envelope, profile="smalle_set")
        assert antwoord.find(".//lg:leerling/lg:emailadres", NS) is None
        assert antwoord.find(".//lg:leerling/lg:voornamen", NS) is None
        assert antwoord.find(".//lg:school/lg:aanmaakdatum", NS) is not None

    def test_the_lvs_set_cannot_be_met_because_bsn_digits_are_never_released(self) -> None:
        answer = render_answer(_full_release(), SCHOOL, profile="lvs_set")  # type: ignore[arg-type]
        antwoord = assert_valid_answer(answer.envelope)
        assert antwoord.find(".//lg:leerling/lg:voorletters-1", NS) is not None
        assert antwoord.find(".//lg:leerling/lg:emailadres", NS) is None
        with pytest.raises(AssertionError, match="bsn_ondwnr-4"):
            assert_valid_answer(answer.envelope, profile="lvs_set")

    def test_smalle_set_does_not_record_attributes_it_did_not_send(self) -> None:
        answer = render_answer(_full_release(), SCHOOL, profile="smalle_set")  # type: ignore[arg-type]
        assert "student.email" not in answer.attribute_ids
        assert "student.family_name" in answer.attribute_ids


class TestVersions:
    def test_a_2_1_request_gets_no_eckid(self) -> None:
        answer = render_answer(release((student(1),)), SCHOOL, xsd_version="2.1")
        assert soap_payload(answer.envelope).find(".//lg:leerling[@eckid]", NS) is None
        assert "student.eckid" not in answer.attribute_ids

    def test_a_2_3_request_is_answered_in_the_2_2_form(self) -> None:
        answer = render_answer(release((student(1),)), SCHOOL, xsd_version="2.3")
        antwoord = assert_valid_answer(answer.envelope)
        assert antwoord.findtext(".//lg:school/lg:xsdversie", namespaces=NS) == "2.2"


def test_staff_only_attribute_sets_still_validate() -> None:
    ids = FULL_STAFF | GROUP_ATTRIBUTES | {"student.family_name", "student.groups"}
    people = (student(1, ids, groups=("g-0001",)), teacher(1, groups=("g-0001",)))
    answer = render_answer(release(people, (group("8A"),), ids), SCHOOL)
    antwoord = assert_valid_answer(answer.envelope)
    assert antwoord.findtext(".//lg:leerkracht/lg:groepen/lg:groep/lg:rol", namespaces=NS) == "LRK"
