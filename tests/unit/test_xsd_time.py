"""Schema-valid dates Python cannot hold become an error naming the field, never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from koppelvlak.kit.xsd_time import UnusableDate, parse_date, parse_datetime

RANGE = "Koppelvlak holds dates from 0001-01-01 to 9999-12-31 (in UTC)"


class TestDateTimes:
    def test_a_moment_with_a_zone_is_aware(self) -> None:
        moment = parse_datetime("2025-01-15T10:00:00+01:00", "aanmaakdatum")
        assert moment == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)

    def test_z_means_utc_and_no_zone_stays_naive(self) -> None:
        assert parse_datetime("2025-01-15T10:00:00Z", "x").tzinfo == timezone(timedelta(0))
        assert parse_datetime("2025-01-15T10:00:00.5", "x").tzinfo is None

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("2025-01-15T24:00:00", "24:00:00 is not accepted; send 00:00:00 of the next day"),
            ("10000-01-01T00:00:00", f"the year is outside 1-9999; {RANGE}"),
            ("-0001-01-01T00:00:00", f"the year is outside 1-9999; {RANGE}"),
            ("0000-01-01T00:00:00", f"the year is outside 1-9999; {RANGE}"),
            ("0001-01-01T00:00:00+14:00", f"in UTC it falls outside the range; {RANGE}"),
            ("9999-12-31T23:00:00-05:00", f"in UTC it falls outside the range; {RANGE}"),
        ],
    )
    def test_values_python_cannot_hold_name_the_field(self, text: str, reason: str) -> None:
        with pytest.raises(UnusableDate) as caught:
            parse_datetime(text, "laatstontvangengegevens")
        assert caught.value.detail == f"laatstontvangengegevens {text} cannot be used: {reason}"
        assert caught.value.status == 422


class TestDates:
    @pytest.mark.parametrize("text", ["2025-01-14", "2025-01-14Z", "2025-01-14+01:00"])
    def test_a_date_with_or_without_a_zone_is_read(self, text: str) -> None:
        assert parse_date(text, "afnamedatum") == date(2025, 1, 14)

    def test_year_10000_names_the_field(self) -> None:
        with pytest.raises(UnusableDate) as caught:
            parse_date("10000-01-14", "afnamedatum")
        assert caught.value.detail == (
            f"afnamedatum 10000-01-14 cannot be used: the year is outside 1-9999; {RANGE}"
        )
