"""Dutch year groups (UWLR ``jaargroep`` codes) → the CEDS grade levels OneRoster's ``grades`` use.

OneRoster clients read ``grades`` as CEDS "Entry Grade Level" codes (``KG``, ``01`` … ``12``), so
the Dutch code ``"14"`` (VO leerjaar 4) must not go out as is: a client reads it as a US grade 14
and some refuse it. The mapping follows age, as the US grade a child of that age attends:
groep 1 (4 years) is ``PK``, groep 2 ``KG``, groep 3 ``01`` … groep 8 ``06``, VO leerjaar 1 (12
years) ``07`` … leerjaar 6 ``12``. Codes with no age equivalent get no grade; the Dutch code is
always kept in ``metadata["nl.yearGroup"]`` (ADR 0046, docs/provider/oneroster.md).
"""

from __future__ import annotations

from collections.abc import Mapping

CEDS_GRADE: Mapping[str, str] = {
    "B": "IT",  # baby's, 0-1 year: infant/toddler
    "D": "IT",  # dreumesen, 1-2 years
    "0": "PR",  # peutergroep, 3 years: preschool
    "1": "PK",  # groep 1, 4 years
    "2": "KG",  # groep 2, 5 years
    **{str(group): f"{group - 2:02d}" for group in range(3, 9)},  # groep 3-8 → 01-06
    **{str(year): f"{year - 4:02d}" for year in range(11, 17)},  # VO leerjaar 1-6 → 07-12
    "S": "UG",  # speciaal (basis)onderwijs: ungraded
    "V": "UG",  # voortgezet speciaal onderwijs: ungraded
}


def ceds_grades(year_group: str) -> list[str]:
    """The ``grades`` value for a Dutch year group: one CEDS code, or none (``C``, ``N``, ``H``)."""
    grade = CEDS_GRADE.get(year_group.strip().lstrip("0") or "0")
    return [grade] if grade is not None else []


def year_group_fields(metadata: dict[str, object], record: dict[str, object], year: object) -> None:
    """Set the CEDS ``grades`` of ``record`` and keep the Dutch code in ``metadata``."""
    if year is None or year == "":
        return
    dutch = str(year)
    record["grades"] = ceds_grades(dutch)
    metadata["nl.yearGroup"] = dutch


def course_title(year_group: str) -> str:
    """The Dutch name of a year: ``Groep 3`` in primary, ``Leerjaar 1`` in secondary (``11``)."""
    if year_group.isdigit() and 11 <= int(year_group) <= 16:
        return f"Leerjaar {int(year_group) - 10}"
    if year_group.isdigit() and int(year_group) <= 8:
        return f"Groep {int(year_group)}"
    return f"Jaargroep {year_group}"
