"""How release values become OneRoster strings: date-times, booleans and the withheld placeholder.

A required string whose attribute is withheld (or empty in the roster) is sent as ``WITHHELD``
and its field name is added to the record's ``metadata["nl.withheld"]``, so a strict client gets a
non-empty string and a careful one can tell a placeholder from a name (ADR 0044).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from koppelvlak.release.values import AttributeValue

WITHHELD = "-"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text(value: AttributeValue) -> str:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def required(value: AttributeValue, field: str, withheld: list[str]) -> str:
    """A required string: its value, or the placeholder (and ``field`` noted in ``withheld``)."""
    rendered = text(value)
    if rendered:
        return rendered
    withheld.append(field)
    return WITHHELD
