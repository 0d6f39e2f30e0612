"""Checks shared by the importers: dates, codes and lengths, each failing with what was expected.

A value that does not fit a column or a code list is refused rather than truncated or guessed,
because a silently altered name or birth date is worse than a refused import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from koppelvlak.roster.importers.errors import ImportFailed

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
BRIN = re.compile(r"^\d{2}[A-Z]{2}$")
LOCATION = re.compile(r"^\d{2}$")

# Where a value sits, as text or as a function that makes the text: building location strings
# only when something is wrong keeps a 50,000-student file fast.
Where = str | Callable[[], str]


def where_text(where: Where) -> str:
    return where() if callable(where) else where


# EDEXGeslachtType (NEN-ISO 5218) → Sex values.
SEX_CODES = {"0": "unknown", "1": "male", "2": "female", "9": "unspecified"}
# EDEXJaargroepType.
YEAR_GROUPS = frozenset(
    {"B", "D", "0", "1", "2", "3", "4", "5", "6", "7", "8", "11", "12", "13", "14", "15", "16"}
    | {"S", "V", "C", "N", "H"}
)
PRIMARY_YEARS = frozenset(["B", "D", "0", "1", "2", "3", "4", "5", "6", "7", "8", "S"])
SECONDARY_YEARS = frozenset(["11", "12", "13", "14", "15", "16", "V"])
# EDEXLeerkrachtRolType.
STAFF_ROLES = frozenset(
    {"ADJ", "ADM", "CON", "DIR", "ICT", "IB", "KLA", "LRK", "LOS", "LOC", "OWA", "OUD", "RT"}
    | {"SMW", "STA", "VAK"}
)


def parse_date(text: str, *, where: Where, what: str, not_after: date | None = None) -> date:
    match = _DATE.match(text)
    if not match:
        raise ImportFailed(
            f"{what} {text!r} is not a date; expected YYYY-MM-DD", location=where_text(where)
        )
    try:
        value = date.fromisoformat(match.group(1))
    except ValueError:
        raise ImportFailed(
            f"{what} {text!r} is not a valid date (no such day); expected YYYY-MM-DD",
            location=where_text(where),
        ) from None
    if not_after is not None and value > not_after:
        raise ImportFailed(
            f"{what} {text} lies in the future; expected a date on or before {not_after}",
            location=where_text(where),
        )
    return value


def school_year_bounds(text: str, *, where: Where) -> tuple[date, date]:
    """A Dutch school year ``2024-2025`` runs from 1 August to 31 July."""
    match = _SCHOOL_YEAR.match(text)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ImportFailed(
            f"school year {text!r} is not valid; expected two consecutive years such as 2024-2025",
            location=where_text(where),
        )
    start = int(match.group(1))
    return date(start, 8, 1), date(start + 1, 7, 31)


def check_code(value: str, allowed: frozenset[str], *, where: Where, what: str) -> str:
    if value not in allowed:
        listed = ", ".join(
            sorted(allowed, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))
        )
        raise ImportFailed(
            f"unknown {what} {value!r}; expected one of {listed}", location=where_text(where)
        )
    return value


def check_length(value: str, limit: int, *, where: Where, what: str) -> str:
    if len(value) > limit:
        raise ImportFailed(
            f"{what} is {len(value)} characters long; expected at most {limit}",
            location=where_text(where),
        )
    return value


def sector_of(year_groups: list[str]) -> str | None:
    primary = sum(1 for year in year_groups if year in PRIMARY_YEARS)
    secondary = sum(1 for year in year_groups if year in SECONDARY_YEARS)
    if primary == secondary == 0:
        return None
    return "PO" if primary >= secondary else "VO"
