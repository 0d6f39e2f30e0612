"""XML Schema ``date``/``dateTime`` text → Python values, or an error that names the field.

XML Schema allows values Python's ``datetime`` cannot hold: ``24:00:00`` (the end of a day),
years past 9999 or before 1, a date with a time zone (``2025-01-14Z``), and moments at the edge
of the range that leave it once shifted to UTC (``0001-01-01T00:00:00+14:00``). A schema-valid
message can carry any of them, so each must become a clear client error naming the field, never
an internal one. Values are expected to have passed the schema already.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from koppelvlak.errors import KoppelvlakError

_RANGE = "Koppelvlak holds dates from 0001-01-01 to 9999-12-31 (in UTC)"
_DATE_ZONE = re.compile(r"(Z|[+-]\d\d:\d\d)$")
_YEAR = re.compile(r"^(-?)(\d+)-")
_HOUR = re.compile(r"T(\d\d):")


class UnusableDate(KoppelvlakError):
    """A schema-valid date or time that Koppelvlak cannot represent."""

    status = 422
    title = "Unusable date"


def parse_datetime(text: str, field: str) -> datetime:
    """An ``xs:dateTime``; aware when it has a zone, and guaranteed to convert to UTC."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnusableDate(f"{field} {value} cannot be used: {_reason(value)}") from None
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise UnusableDate(
                f"{field} {value} cannot be used: in UTC it falls outside the range; {_RANGE}"
            ) from None
    return moment


def parse_date(text: str, field: str) -> date:
    """An ``xs:date``; a time zone on a date says nothing we keep, so it is dropped."""
    value = text.strip()
    try:
        return date.fromisoformat(_DATE_ZONE.sub("", value))
    except ValueError:
        raise UnusableDate(f"{field} {value} cannot be used: {_reason(value)}") from None


def _reason(value: str) -> str:
    year = _YEAR.match(value)
    if year and (year.group(1) or len(year.group(2)) > 4 or int(year.group(2)) == 0):
        return f"the year is outside 1-9999; {_RANGE}"
    hour = _HOUR.search(value)
    if hour and hour.group(1) == "24":
        return "24:00:00 is not accepted; send 00:00:00 of the next day"
    return f"it is not a date and time Koppelvlak can read; {_RANGE}"
