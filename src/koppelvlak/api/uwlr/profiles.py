"""What each UWLR profile lets through, in schema order: the tables the renderers follow.

EDEXML 2.1 (UWLR 2.2) element order and length limits for students and teachers, the coded
values of ``jaargroep`` and ``rol``, and which elements the Smalle set and LVS set allow
(NOTES §6, §8); ``None`` is the full 2.2 message.
"""

from __future__ import annotations

from collections.abc import Iterable


def _names(words: str) -> frozenset[str]:
    """A set of codes or element names written as the schema lists them."""
    return frozenset(words.split())


# EDEXJaargroepType and EDEXLeerkrachtRolType (NOTES §6).
JAARGROEPEN = _names("B D 0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 S V C N H")
ROLES = _names("ADJ ADM CON DIR ICT IB KLA LRK LOS LOC OWA OUD RT SMW STA VAK")
SEX = {"unknown": "0", "male": "1", "female": "2", "unspecified": "9"}
SEX.update({code: code for code in ("0", "1", "2", "9")})
CLASS_GROUP = "class_group"

# What each profile lets through (NOTES §8); None = the full 2.2 message.
STUDENT_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: _names(
        "achternaam voorvoegsel voornamen voorletters-1 roepnaam geboortedatum geslacht "
        "jaargroep groepen gebruikersnaam emailadres"
    ),
    "smalle_set": _names("achternaam voorvoegsel roepnaam geboortedatum jaargroep groepen"),
    "lvs_set": _names(
        "achternaam voorvoegsel voorletters-1 roepnaam geboortedatum geslacht jaargroep groepen"
    ),
}
STAFF_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: _names(
        "achternaam voorvoegsel voorletters-1 roepnaam gebruikersnaam emailadres rol groepen"
    ),
    "smalle_set": _names("achternaam voorvoegsel roepnaam emailadres groepen"),
    "lvs_set": _names("achternaam voorvoegsel roepnaam groepen"),
}
ELEMENT_ATTRIBUTE = {
    "achternaam": "family_name",
    "voorvoegsel": "name_prefix",
    "voornamen": "first_names",
    "voorletters-1": "initials",
    "roepnaam": "given_name",
    "geboortedatum": "birth_date",
    "geslacht": "sex",
    "jaargroep": "year_group",
    "groepen": "groups",
    "gebruikersnaam": "username",
    "emailadres": "email",
    "rol": "role",
}
GROUP_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: frozenset({"name", "year_group", "description"}),
    "smalle_set": frozenset({"name", "year_group"}),
    "lvs_set": frozenset({"name", "year_group"}),
}


# Schema order of the elements we may fill (EDEXML 2.1 LeerlingType / LeerkrachtType).
STUDENT_ORDER = (
    ("achternaam", 200),
    ("voorvoegsel", 10),
    ("voornamen", 200),
    ("voorletters-1", 6),
    ("roepnaam", 64),
    ("geboortedatum", 10),
    ("geslacht", 16),
    ("jaargroep", 2),
    ("groepen", 0),
    ("gebruikersnaam", 64),
    ("emailadres", 256),
)
STAFF_ORDER = (
    ("achternaam", 200),
    ("voorvoegsel", 10),
    ("voorletters-1", 6),
    ("roepnaam", 64),
    ("gebruikersnaam", 64),
    ("emailadres", 256),
    ("rol", 64),
    ("groepen", 0),
)
FAMILY_NAME_BRANCH = frozenset({"voorvoegsel", "voornamen", "voorletters-1"})


def rendered_attributes(attribute_ids: Iterable[str], profile: str | None) -> frozenset[str]:
    """The released attribute ids this profile actually puts into an answer."""
    allowed = {f"student.{ELEMENT_ATTRIBUTE[e]}" for e in STUDENT_ELEMENTS[profile]}
    allowed |= {f"staff.{ELEMENT_ATTRIBUTE[e]}" for e in STAFF_ELEMENTS[profile]}
    allowed |= {f"group.{name}" for name in GROUP_ELEMENTS[profile]}
    allowed |= {"student.eckid", "student.source_key", "staff.eckid", "staff.source_key"}
    return frozenset(a for a in attribute_ids if a in allowed)
