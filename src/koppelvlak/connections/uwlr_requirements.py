"""Can a dataset be delivered over UWLR 2.2 at all? A pure check for connection approval.

The UWLR schema requires some elements whatever a dataset says (NOTES §7): every student and
teacher needs ``achternaam`` or ``roepnaam``; a ``groep`` needs ``naam`` and ``jaargroep``; the
LVS set also needs date of birth, sex, year group, call name and the last four digits of the
BSN, which Koppelvlak never releases. A connection whose release could not be sent as a valid
answer is refused at approval with these problems, never failed at request time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koppelvlak.errors import Conflict

PROFILES = (None, "smalle_set", "lvs_set")

# What a profile leaves out altogether: released, it is simply not sent over UWLR (NOTES §8).
_NOT_IN_PROFILE = {
    "smalle_set": {
        "student.first_names": "leerling/voornamen",
        "student.initials": "leerling/voorletters-1",
        "student.sex": "leerling/geslacht",
        "student.email": "leerling/emailadres",
        "student.username": "leerling/gebruikersnaam",
        "staff.initials": "leerkracht/voorletters-1",
        "staff.username": "leerkracht/gebruikersnaam",
        "staff.role": "leerkracht/rol",
        "group.description": "groep/omschrijving",
    },
    "lvs_set": {
        "student.first_names": "leerling/voornamen",
        "student.email": "leerling/emailadres",
        "student.username": "leerling/gebruikersnaam",
        "staff.initials": "leerkracht/voorletters-1",
        "staff.email": "leerkracht/emailadres",
        "staff.username": "leerkracht/gebruikersnaam",
        "staff.role": "leerkracht/rol",
        "group.description": "groep/omschrijving",
    },
}
_LVS_REQUIRED = (
    ("student.given_name", "leerling/roepnaam"),
    ("student.birth_date", "leerling/geboortedatum"),
    ("student.sex", "leerling/geslacht"),
    ("student.year_group", "leerling/jaargroep"),
)


@dataclass(frozen=True)
class UwlrProblem:
    """One reason a dataset cannot be delivered over UWLR, naming the element concerned."""

    element: str  # e.g. "leerling/achternaam|roepnaam"
    reason: str

    def __str__(self) -> str:
        return f"{self.element}: {self.reason}"


def uwlr_problems(attribute_ids: Iterable[str], profile: str | None) -> list[UwlrProblem]:
    """Every reason a release with these attributes could not be a valid UWLR answer."""
    if profile not in PROFILES:
        return [UwlrProblem("gegevensset", f"unknown UWLR profile {profile!r}")]
    ids = frozenset(attribute_ids)
    problems: list[UwlrProblem] = []
    if not ids & {"student.family_name", "student.given_name"}:
        problems.append(
            UwlrProblem(
                "leerling/achternaam|roepnaam",
                "UWLR requires a name for every student; the dataset releases neither "
                "student.family_name nor student.given_name",
            )
        )
    has_staff = any(a.startswith("staff.") for a in ids)
    if has_staff and not ids & {"staff.family_name", "staff.given_name"}:
        problems.append(
            UwlrProblem(
                "leerkracht/achternaam|roepnaam",
                "UWLR requires a name for every teacher; the dataset releases staff attributes "
                "but neither staff.family_name nor staff.given_name",
            )
        )
    if ids & {"student.groups", "staff.groups"}:
        if "group.name" not in ids:
            problems.append(
                UwlrProblem(
                    "groep/naam",
                    "groups are released (memberships) but group.name is not; "
                    "UWLR requires a name for every group",
                )
            )
        if "group.year_group" not in ids:
            problems.append(
                UwlrProblem(
                    "groep/jaargroep",
                    "class groups are released but group.year_group is not; UWLR requires "
                    "the year group of every groep (release it, or drop the memberships)",
                )
            )
    if profile == "lvs_set":
        for attribute, element in _LVS_REQUIRED:
            if attribute not in ids:
                problems.append(
                    UwlrProblem(element, f"the LVS set requires {element}; release {attribute}")
                )
        problems.append(
            UwlrProblem(
                "leerling/bsn_ondwnr-4",
                "the LVS set requires the last four digits of the BSN or education number, "
                "which Koppelvlak never releases; use the full message or the Smalle set",
            )
        )
    return problems


class UwlrNotDeliverable(Conflict):
    title = "Not deliverable over UWLR"


def check_deliverable(
    profile: str | None, attribute_ids: Iterable[str], entity_types: Iterable[str] = ()
) -> None:
    """Raise ``UwlrNotDeliverable`` listing every problem (the approval hook calls this).

    ``entity_types`` (e.g. ``{"students", "groups"}``) narrows the check: a dataset that
    sends no groups cannot have group problems.
    """
    ids = frozenset(attribute_ids)
    kinds = frozenset(entity_types)
    if kinds and "groups" not in kinds:
        ids -= {"student.groups", "staff.groups"}
    problems = uwlr_problems(ids, profile)
    if problems:
        raise UwlrNotDeliverable(
            "this dataset cannot be delivered over UWLR: " + "; ".join(str(p) for p in problems)
        )


def uwlr_unsent(attribute_ids: Iterable[str], profile: str | None) -> list[UwlrProblem]:
    """Released attributes this profile has no element for: never sent over UWLR.

    Not a reason to refuse (the same dataset may serve other channels, and UWLR answers simply
    leave them out), but worth showing the admin next to the approval.
    """
    if profile not in _NOT_IN_PROFILE:
        return []
    ids = frozenset(attribute_ids)
    return [
        UwlrProblem(
            element,
            f"{attribute} is released but the {_label(profile)} has no {element}; "
            "UWLR answers leave it out",
        )
        for attribute, element in sorted(_NOT_IN_PROFILE[profile].items())
        if attribute in ids
    ]


def _label(profile: str) -> str:
    return {"smalle_set": "Smalle set", "lvs_set": "LVS set"}[profile]
