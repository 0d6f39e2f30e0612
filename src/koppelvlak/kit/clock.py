"""Time in one place, always timezone-aware UTC, so tests and ledgers agree on 'now'."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; we store UTC, so naive means UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``; a 29 February birthday counts from 1 March in other years."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
