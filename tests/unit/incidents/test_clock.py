"""The 72-hour clock of GDPR art. 33: running, overdue, notified in time or late, not required."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from koppelvlak.incidents.clock import art33_clock

REPORTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class TestTheClock:
    def test_the_deadline_is_72_hours_after_the_report(self) -> None:
        clock = art33_clock(REPORTED, REPORTED, notifiable=None, notified_at=None)
        assert clock.deadline == DEADLINE
        assert (clock.state, clock.seconds_left, clock.text) == (
            "running",
            72 * 3600,
            "72 h 00 min left to notify the authority",
        )

    def test_shows_the_time_left_while_it_runs(self) -> None:
        now = REPORTED + timedelta(hours=30, minutes=15)
        clock = art33_clock(REPORTED, now, notifiable=True, notified_at=None)
        assert clock.text == "41 h 45 min left to notify the authority"

    def test_is_overdue_after_72_hours_without_a_notification(self) -> None:
        now = DEADLINE + timedelta(hours=3, minutes=5)
        clock = art33_clock(REPORTED, now, notifiable=None, notified_at=None)
        assert (clock.state, clock.seconds_left, clock.text) == (
            "overdue",
            -(3 * 3600 + 5 * 60),
            "overdue by 3 h 05 min",
        )

    def test_a_notification_in_time_stops_it(self) -> None:
        notified = REPORTED + timedelta(hours=50)
        clock = art33_clock(
            REPORTED, DEADLINE + timedelta(days=9), notifiable=True, notified_at=notified
        )
        assert (clock.state, clock.text) == (
            "notified",
            "authority notified 2026-12-03T11:00:00+00:00, in time",
        )

    def test_a_late_notification_is_named_late(self) -> None:
        notified = DEADLINE + timedelta(minutes=1)
        clock = art33_clock(REPORTED, notified, notifiable=True, notified_at=notified)
        assert clock.state == "notified_late"

    def test_an_incident_assessed_as_not_notifiable_needs_no_notification(self) -> None:
        clock = art33_clock(
            REPORTED, DEADLINE + timedelta(days=1), notifiable=False, notified_at=None
        )
        assert (clock.state, clock.text) == ("not_required", "assessed: no notification required")

    def test_a_naive_moment_from_sqlite_counts_as_utc(self) -> None:
        clock = art33_clock(
            REPORTED.replace(tzinfo=None), REPORTED, notifiable=None, notified_at=None
        )
        assert clock.deadline == DEADLINE
