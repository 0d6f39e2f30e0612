"""Release → ``leerlinggegevens_antwoord``: the UWLR 2.2 answer, strictly valid, nothing extra.

Element order and types follow the official 2.2 schema (EDEXML 2.1). Withheld attributes are
left out; where the schema requires an element the release lacks (a name, a group's
``jaargroep``) the connection should never have been approved (``release.uwlr_requirements``),
so such a person or group is skipped rather than sent invalid. Students and teachers are keyed
by the provider's pseudonym, or by the LAS key only when ``*.source_key`` is released; ``@eckid``
only when ``*.eckid`` is released. A connection's UWLR profile (Smalle set, LVS set) narrows
the elements further. ``toevoegingen`` and ``mutatiedatum`` are never sent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from koppelvlak.api.uwlr.faults import ENVELOPE_PREFIX
from koppelvlak.api.uwlr.schemas import LG_NS, SOAP_NS
from koppelvlak.kit.clock import as_utc
from koppelvlak.release.values import (
    AttributeValue,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

ANSWER_XSD_VERSION = "2.2"


def _names(words: str) -> frozenset[str]:
    """A set of codes or element names written as the schema lists them."""
    return frozenset(words.split())


# EDEXJaargroepType and EDEXLeerkrachtRolType (NOTES §6).
JAARGROEPEN = _names("B D 0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 S V C N H")
ROLES = _names("ADJ ADM CON DIR ICT IB KLA LRK LOS LOC OWA OUD RT SMW STA VAK")
_SEX = {"unknown": "0", "male": "1", "female": "2", "unspecified": "9"}
_SEX.update({code: code for code in ("0", "1", "2", "9")})
_CLASS_GROUP = "class_group"
# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# What each profile lets through (NOTES §8); None = the full 2.2 message.
_STUDENT_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: _names(
        "achternaam voorvoegsel voornamen voorletters-1 roepnaam geboortedatum geslacht "
        "jaargroep groepen gebruikersnaam emailadres"
    ),
    "smalle_set": _names("achternaam voorvoegsel roepnaam geboortedatum jaargroep groepen"),
    "lvs_set": _names(
        "achternaam voorvoegsel voorletters-1 roepnaam geboortedatum geslacht jaargroep groepen"
    ),
}
_STAFF_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: _names(
        "achternaam voorvoegsel voorletters-1 roepnaam gebruikersnaam emailadres rol groepen"
    ),
    "smalle_set": _names("achternaam voorvoegsel roepnaam emailadres groepen"),
    "lvs_set": _names("achternaam voorvoegsel roepnaam groepen"),
}
_ELEMENT_ATTRIBUTE = {
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
_GROUP_ELEMENTS: dict[str | None, frozenset[str]] = {
    None: frozenset({"name", "year_group", "description"}),
    "smalle_set": frozenset({"name", "year_group"}),
    "lvs_set": frozenset({"name", "year_group"}),
}


# Schema order of the elements we may fill (EDEXML 2.1 LeerlingType / LeerkrachtType).
_STUDENT_ORDER = (
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
_STAFF_ORDER = (
    ("achternaam", 200),
    ("voorvoegsel", 10),
    ("voorletters-1", 6),
    ("roepnaam", 64),
    ("gebruikersnaam", 64),
    ("emailadres", 256),
    ("rol", 64),
    ("groepen", 0),
)
_FAMILY_NAME_BRANCH = frozenset({"voorvoegsel", "voornamen", "voorletters-1"})


def _q(local: str) -> str:
    return f"{{{LG_NS}}}{local}"


_GROEP = _q("groep")
_SAMENGESTELDE_GROEP = _q("samengestelde_groep")


@dataclass(frozen=True)
class Answer:
    """The exact bytes to send and what they disclose (for the ledger)."""

    envelope: bytes
    outcome: str  # leerlinggegevens | geengegevens | geenwijzigingen
    person_ids: frozenset[uuid.UUID]
    attribute_ids: frozenset[str]


def rendered_attributes(attribute_ids: Iterable[str], profile: str | None) -> frozenset[str]:
    """The released attribute ids this profile actually puts into an answer."""
    allowed = {f"student.{_ELEMENT_ATTRIBUTE[e]}" for e in _STUDENT_ELEMENTS[profile]}
    allowed |= {f"staff.{_ELEMENT_ATTRIBUTE[e]}" for e in _STAFF_ELEMENTS[profile]}
    allowed |= {f"group.{name}" for name in _GROUP_ELEMENTS[profile]}
    allowed |= {"student.eckid", "student.source_key", "staff.eckid", "staff.source_key"}
    return frozenset(a for a in attribute_ids if a in allowed)


def render_answer(
    release: Release,
    school: ReleasedSchool,
    *,
    profile: str | None = None,
    xsd_version: str = ANSWER_XSD_VERSION,
    last_received: datetime | None = None,
    school_year: str | None = None,
) -> Answer:
    """The SOAP envelope answering one ``leerlinggegevens_verzoek`` for one school."""
    if profile not in _STUDENT_ELEMENTS:
        raise ValueError(f"unknown UWLR profile {profile!r}")
    renderer = _Renderer(release, school, profile, with_eckid=xsd_version != "2.1")
    students = renderer.people(release.students, "student.")
    if not students or (school_year is not None and school_year != school.school_year):
        return _answer(_empty("geengegevens"), "geengegevens", frozenset(), frozenset())
    staff = renderer.people(release.staff, "staff.")
    if last_received is not None and renderer.unchanged_since(as_utc(last_received)):
        return _answer(_empty("geenwijzigingen"), "geenwijzigingen", frozenset(), frozenset())
    antwoord = renderer.antwoord(students, staff)
    shown = frozenset(p.person_id for p in (*students, *staff))
    attributes = rendered_attributes(release.attribute_ids, profile)
    return _answer(antwoord, "leerlinggegevens", shown, attributes)


def _empty(outcome: str) -> etree._Element:
    antwoord = etree.Element(_q("leerlinggegevens_antwoord"), nsmap={None: LG_NS})  # type: ignore[dict-item]  # None = default namespace
    etree.SubElement(antwoord, _q(outcome))
    return antwoord


def _answer(
    antwoord: etree._Element,
    outcome: str,
    person_ids: frozenset[uuid.UUID],
    attribute_ids: frozenset[str],
) -> Answer:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={ENVELOPE_PREFIX: SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Body").append(antwoord)
    data = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
    return Answer(data, outcome, person_ids, attribute_ids)


def _text(value: AttributeValue, limit: int) -> str | None:
    """The value as schema text: trimmed, without characters XML cannot carry, at most ``limit``."""
    if type(value) is str:  # the common case first
        text = value.strip()
        if _NOT_XML.search(text):
            text = _NOT_XML.sub("", text).strip()
        return text[:limit] if text else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    return text[:limit] if text else None


class _Renderer:
    """Builds one answer; keeps the groups it rendered so every reference resolves."""

    def __init__(
        self, release: Release, school: ReleasedSchool, profile: str | None, *, with_eckid: bool
    ) -> None:
        self.release = release
        self.school = school
        self.profile = profile
        self.with_eckid = with_eckid
        self.groups = {
            g.pseudonym: g
            for g in release.groups
            if self._here(g.school_brin, g.school_location_code) and self._renderable(g)
        }

    def _here(self, brin: str, location_code: str) -> bool:
        return brin == self.school.brin and location_code == self.school.location_code

    def _renderable(self, group: ReleasedGroup) -> bool:
        if not _text(group.attributes.get("group.name"), 64):
            return False
        if group.kind == _CLASS_GROUP:
            year = _text(group.attributes.get("group.year_group"), 2)
            return year in JAARGROEPEN
        return True

    def people(self, people: Iterable[ReleasedPerson], prefix: str) -> list[ReleasedPerson]:
        """The people of this school that can be sent (a name is required, NOTES §7)."""
        return [
            p
            for p in people
            if self._here(p.school_brin, p.school_location_code)
            and (
                _text(p.attributes.get(prefix + "family_name"), 200)
                or _text(p.attributes.get(prefix + "given_name"), 64)
            )
        ]

    def unchanged_since(self, moment: datetime) -> bool:
        stamps: list[datetime | None] = [g.updated_at for g in self.groups.values()]
        stamps += [p.updated_at for p in self.release.people]
        if any(stamp is None or as_utc(stamp) > moment for stamp in stamps):
            return False
        return all(as_utc(d.left_at) <= moment for d in self.release.departed)

    def antwoord(
        self, students: list[ReleasedPerson], staff: list[ReleasedPerson]
    ) -> etree._Element:
        antwoord = etree.Element(_q("leerlinggegevens_antwoord"), nsmap={None: LG_NS})  # type: ignore[dict-item]  # None = default namespace
        gegevens = etree.SubElement(antwoord, _q("leerlinggegevens"))
        self._school(gegevens)
        if self.groups:
            groepen = etree.SubElement(gegevens, _q("groepen"))
            ordered = sorted(self.groups.values(), key=lambda g: g.kind != _CLASS_GROUP)
            for group in ordered:
                self._group(groepen, group)
        leerlingen = etree.SubElement(gegevens, _q("leerlingen"))
        plan = self._plan("student.")
        for student in students:
            self._person(leerlingen, "leerling", student, "student.", plan)
        if staff:
            leerkrachten = etree.SubElement(gegevens, _q("leerkrachten"))
            plan = self._plan("staff.")
            for member in staff:
                self._person(leerkrachten, "leerkracht", member, "staff.", plan)
        return antwoord

    def _school(self, parent: etree._Element) -> None:
        school = etree.SubElement(parent, _q("school"))
        at = as_utc(self.release.at).replace(microsecond=0)
        _add(school, "schooljaar", self.school.school_year)
        _add(school, "peildatum", at.date().isoformat())
        _add(school, "brincode", self.school.brin)
        _add(school, "dependancecode", self.school.location_code or "00")
        _add(school, "aanmaakdatum", at.isoformat())
        _add(school, "xsdversie", ANSWER_XSD_VERSION)

    def _group(self, parent: etree._Element, group: ReleasedGroup) -> None:
        allowed = _GROUP_ELEMENTS[self.profile]
        tag = "groep" if group.kind == _CLASS_GROUP else "samengestelde_groep"
        element = etree.SubElement(parent, _q(tag), key=group.pseudonym)
        _add(element, "naam", _text(group.attributes.get("group.name"), 64))
        if tag == "groep":
            _add(element, "jaargroep", _text(group.attributes.get("group.year_group"), 2))
        if "description" in allowed or tag == "samengestelde_groep":
            _add(element, "omschrijving", _text(group.attributes.get("group.description"), 256))

    def _plan(self, prefix: str) -> list[tuple[str, str, str, int]]:
        """(element, qualified tag, attribute id, length limit) in schema order for a kind."""
        order = _STUDENT_ORDER if prefix == "student." else _STAFF_ORDER
        allowed = (_STUDENT_ELEMENTS if prefix == "student." else _STAFF_ELEMENTS)[self.profile]
        return [
            (element, _q(element), prefix + _ELEMENT_ATTRIBUTE[element], limit)
            for element, limit in order
            if element in allowed
        ]

    def _person(
        self,
        parent: etree._Element,
        tag: str,
        person: ReleasedPerson,
        prefix: str,
        plan: list[tuple[str, str, str, int]],
    ) -> None:
        values = person.attributes
        key = _text(values.get(prefix + "source_key"), 256) or person.pseudonym
        element = etree.SubElement(parent, _q(tag), key=key)
        if self.with_eckid:
            eckid = _text(values.get(prefix + "eckid"), 256)
            if eckid:
                element.set("eckid", eckid)
        has_family_name = False
        for name, qualified, attribute, limit in plan:
            if name == "groepen":
                if tag == "leerling":
                    self._student_groups(element, person)
                else:
                    self._staff_groups(element, person)
                continue
            text = _text(values.get(attribute), limit)
            if text is None:
                continue
            if name == "achternaam":
                has_family_name = True
            elif name in _FAMILY_NAME_BRANCH and not has_family_name:
                continue  # voorvoegsel, voornamen, voorletters only beside achternaam
            elif name == "rol":
                _role(element, text)
                continue
            text = _coded(name, text)
            if text:
                etree.SubElement(element, qualified).text = text

    def _student_groups(self, element: etree._Element, person: ReleasedPerson) -> None:
        mine = [self.groups[p] for p in person.group_pseudonyms if p in self.groups]
        class_groups = [g for g in mine if g.kind == _CLASS_GROUP]
        composites = [g for g in mine if g.kind != _CLASS_GROUP]
        if class_groups:
            etree.SubElement(element, _GROEP, key=class_groups[0].pseudonym)
        if composites:
            holder = etree.SubElement(element, _q("samengestelde_groepen"))
            for group in composites:
                etree.SubElement(holder, _SAMENGESTELDE_GROEP, key=group.pseudonym)

    def _staff_groups(self, element: etree._Element, person: ReleasedPerson) -> None:
        mine = [self.groups[p] for p in person.group_pseudonyms if p in self.groups]
        if not mine:
            return
        holder = etree.SubElement(element, _q("groepen"))
        with_roles = "staff.role" in self.release.attribute_ids
        for group in mine:
            tag = _GROEP if group.kind == _CLASS_GROUP else _SAMENGESTELDE_GROEP
            reference = etree.SubElement(holder, tag, key=group.pseudonym)
            if with_roles:
                _role(reference, _text(person.group_roles.get(group.pseudonym), 64))


def _coded(element: str, text: str) -> str | None:
    """Coded elements: ``geslacht`` as its ISO 5218 digit, ``jaargroep`` only if a known code."""
    if element == "geslacht":
        return _SEX.get(text.lower())
    if element == "jaargroep":
        return text if text in JAARGROEPEN else None
    return text


def _role(parent: etree._Element, role: str | None) -> None:
    if not role:
        return
    if role.upper() in ROLES:
        _add(parent, "rol", role.upper())
    else:
        _add(parent, "rolomschrijving", role)


def _add(parent: etree._Element, local: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, _q(local)).text = text
