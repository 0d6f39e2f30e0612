"""Parsing the identifiers a mandate names: a party's OIN or KvK number, a school's BRIN code.

One place, so the CLI, the admin API and the public check refuse the same input with the
same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from koppelvlak.mandates.errors import InvalidIdentifier
from koppelvlak.mandates.models import PartyKind

_OIN = re.compile(r"^[0-9]{20}$")
_KVK = re.compile(r"^[0-9]{8}$")
_SCHOOL = re.compile(r"^([0-9]{2}[A-Z]{2})([0-9]{2})?$")


@dataclass(frozen=True)
class Party:
    kind: PartyKind
    number: str


@dataclass(frozen=True)
class SchoolCode:
    brin: str
    location_code: str

    def __str__(self) -> str:
        return f"{self.brin}{self.location_code}"


def parse_party(value: str) -> Party:
    """An OIN (20 digits) or a KvK number (8 digits); anything else is refused."""
    text = value.strip()
    if _OIN.match(text):
        return Party(PartyKind.OIN, text)
    if _KVK.match(text):
        return Party(PartyKind.KVK, text)
    raise InvalidIdentifier(
        f"party must be an OIN (20 digits) or a KvK number (8 digits), not {_shown(value)}"
    )


def parse_school(value: str) -> SchoolCode:
    """A BRIN code (two digits, two letters, e.g. 99XX) with an optional location code (99XX01)."""
    text = value.strip().upper()
    found = _SCHOOL.match(text)
    if found is None:
        raise InvalidIdentifier(
            "school must be a BRIN code (e.g. 99XX) or a BRIN code with its location "
            f"(e.g. 99XX01), not {_shown(value)}"
        )
    return SchoolCode(found.group(1), found.group(2) or "00")


def _shown(value: str) -> str:
    """The refused value, bounded, so an error message never echoes a long hostile string."""
    return repr(value if len(value) <= 32 else value[:32] + "…")
