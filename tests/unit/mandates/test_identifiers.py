"""Parsing a party's OIN or KvK number and a school's BRIN code: one sentence for every refusal."""

from __future__ import annotations

import pytest

from koppelvlak.mandates.errors import InvalidIdentifier
from koppelvlak.mandates.identifiers import Party, SchoolCode, parse_party, parse_school
from koppelvlak.mandates.models import PartyKind


class TestParty:
    def test_twenty_digits_are_an_oin(self) -> None:
        assert parse_party("00000001003214345000") == Party(PartyKind.OIN, "00000001003214345000")

    def test_eight_digits_are_a_kvk_number(self) -> None:
        assert parse_party(" 12345678 ") == Party(PartyKind.KVK, "12345678")

    @pytest.mark.parametrize("value", ["1234567", "123456789", "1234567a", "٠١٢٣٤٥٦٧", "0" * 21])
    def test_anything_else_is_refused(self, value: str) -> None:
        with pytest.raises(InvalidIdentifier) as refused:
            parse_party(value)
        assert refused.value.detail == (
            f"party must be an OIN (20 digits) or a KvK number (8 digits), not {value!r}"
        )
        assert refused.value.status == 400

    def test_a_long_value_is_not_echoed_whole(self) -> None:
        with pytest.raises(InvalidIdentifier) as refused:
            parse_party("9" * 500)
        assert refused.value.detail.endswith(f"not {'9' * 32 + '…'!r}")


class TestSchool:
    def test_a_brin_code_means_the_main_location(self) -> None:
        assert parse_school("99xx") == SchoolCode("99XX", "00")

    def test_a_brin_code_with_its_location(self) -> None:
        assert str(parse_school("99XX01")) == "99XX01"

    @pytest.mark.parametrize("value", ["9XX", "99XXX", "XX99", "99XX1", "99XX0A", "99 XX", ""])
    def test_anything_else_is_refused(self, value: str) -> None:
        with pytest.raises(InvalidIdentifier) as refused:
            parse_school(value)
        assert refused.value.detail == (
            "school must be a BRIN code (e.g. 99XX) or a BRIN code with its location "
            f"(e.g. 99XX01), not {value!r}"
        )
