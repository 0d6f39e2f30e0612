"""Reading a schema-valid results push: values Koppelvlak cannot store are refused by name."""

from __future__ import annotations

import pytest
from lxml import etree

from koppelvlak.kit.xsd_time import UnusableDate
from koppelvlak.results.errors import ScoreOutOfRange
from koppelvlak.results.uwlr_xml import MAX_SCORE, read_message
from tests.support.uwlr import assert_valid, leerresultaten_verzoek, uwlr_schema

RANGE = "Koppelvlak holds dates from 0001-01-01 to 9999-12-31 (in UTC)"


def valid_message(data: bytes) -> etree._Element:
    """The push as the endpoint hands it over: it has passed the official schema."""
    element = etree.fromstring(data)
    assert_valid(element, uwlr_schema("UWLR_Leerresultaten_v2p2.xsd"))
    return element


class TestScores:
    def test_the_largest_storable_score_is_read(self) -> None:
        message = read_message(valid_message(leerresultaten_verzoek([("p-1", "R1", MAX_SCORE)])))
        assert message.sittings[0].results[0].score == 2_147_483_647

    @pytest.mark.parametrize("score", [3_000_000_000, 10**30])
    def test_a_larger_score_names_the_field_and_the_result(self, score: int) -> None:
        data = leerresultaten_verzoek([("p-1", "R0", 1), ("p-2", "R1", score)])
        with pytest.raises(ScoreOutOfRange) as caught:
            read_message(valid_message(data))
        assert caught.value.detail == (
            f"score {score} of resultaat R1 (toetsafname 2) is larger than 2147483647, "
            "the largest score Koppelvlak stores"
        )


class TestDates:
    def test_a_date_with_a_time_zone_is_read(self) -> None:
        data = leerresultaten_verzoek([("p-1", "R1", 1)]).replace(
            b"2025-01-14</afnamedatum>", b"2025-01-14Z</afnamedatum>"
        )
        assert read_message(valid_message(data)).sittings[0].results[0].taken_on.day == 14

    def test_an_afnamedatum_in_year_10000_names_the_field(self) -> None:
        data = leerresultaten_verzoek([("p-1", "R1", 1)]).replace(
            b"2025-01-14</afnamedatum>", b"10000-01-14</afnamedatum>"
        )
        with pytest.raises(UnusableDate) as caught:
            read_message(valid_message(data))
        assert caught.value.detail == (
            "afnamedatum of resultaat R1 (toetsafname 1) 10000-01-14 cannot be used: "
            f"the year is outside 1-9999; {RANGE}"
        )

    @pytest.mark.parametrize(
        ("moment", "reason"),
        [
            ("2025-01-15T24:00:00", "24:00:00 is not accepted; send 00:00:00 of the next day"),
            ("0001-01-01T00:00:00+14:00", f"in UTC it falls outside the range; {RANGE}"),
        ],
    )
    def test_an_aanmaakdatum_python_cannot_hold_names_the_field(
        self, moment: str, reason: str
    ) -> None:
        data = leerresultaten_verzoek([("p-1", "R1", 1)]).replace(
            b"2025-01-15T10:00:00+00:00", moment.encode()
        )
        with pytest.raises(UnusableDate) as caught:
            read_message(valid_message(data))
        assert caught.value.detail == f"aanmaakdatum {moment} cannot be used: {reason}"
