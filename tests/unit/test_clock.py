"""Ages are completed years on the day in question."""

from datetime import date

from koppelvlak.kit.clock import age_on


class TestAgeOn:
    def test_the_day_before_the_birthday_is_still_the_younger_age(self) -> None:
        assert age_on(date(2010, 6, 15), date(2026, 6, 14)) == 15

    def test_the_birthday_itself_counts(self) -> None:
        assert age_on(date(2010, 6, 15), date(2026, 6, 15)) == 16

    def test_a_leap_day_birthday_turns_over_on_the_first_of_march(self) -> None:
        assert age_on(date(2012, 2, 29), date(2028, 2, 28)) == 15
        assert age_on(date(2012, 2, 29), date(2028, 2, 29)) == 16
        assert age_on(date(2012, 2, 29), date(2027, 3, 1)) == 15
