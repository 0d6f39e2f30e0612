"""The named demo cast, shared by ``koppelvlak demo``, the tests and the docs.

Each persona exercises a rule: age of digital consent, name prefixes and diacritics, a call
name only, a student at each school.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    source_key: str
    given_name: str
    name_prefix: str | None
    family_name: str
    year_group: str
    story: str


PERSONAS = (
    Persona("000121", "Emma", "de", "Vries", "8", "group 8: the final test applies to her"),
    Persona("121", "Daan", "van der", "Berg", "5", "a key that differs from Emma's only by zeros"),
    Persona("000777", "Zoë", None, "Yılmaz", "3", "diacritics in both names; young child"),
    Persona("V1001", "Noël", "'t", "Hart", "11", "secondary year 1, under 16"),
    Persona("V1002", "Anaïs", "van den", "Broek", "15", "secondary year 5, usually 16 or older"),
)
