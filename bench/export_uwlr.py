"""Export a board's schools as UWLR 2.2 ``leerlinggegevens_antwoord`` files, one per school.

The output is valid against the official 2.2 XSD (with the school-year overlay of
``shared/uwlr/NOTES.md`` §15.4 for years after 2024-2025), bare or in a SOAP 1.1 envelope;
``bench/generate.py`` and the round-trip tests use it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree
from sqlalchemy.orm import Session

from bench.board_rows import live, school_year_of
from koppelvlak.roster.models import (
    Group,
    GroupKind,
    School,
    Sex,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

LG_NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SEX_CODES = {Sex.UNKNOWN: "0", Sex.MALE: "1", Sex.FEMALE: "2", Sex.UNSPECIFIED: "9"}
STAFF_ROLES = {
    "ADJ",
    "ADM",
    "CON",
    "DIR",
    "ICT",
    "IB",
    "KLA",
    "LRK",
    "LOS",
    "LOC",
    "OWA",
    "OUD",
    "RT",
    "SMW",
    "STA",
    "VAK",
}


def write_uwlr(
    session: Session, school: School, out: BinaryIO, *, soap: bool = False, version: str = "2.2"
) -> None:
    """One school as a ``leerlinggegevens_antwoord``, streamed with lxml's incremental writer."""
    year = school_year_of(session, school.board_id)
    groups = sorted(live(session, Group, Group.school_id == school.id), key=lambda g: g.source_key)
    group_by_id = {g.id: g for g in groups}
    students = live(session, Student, Student.school_id == school.id)
    staff = live(session, Staff, Staff.school_id == school.id)
    student_links: dict[uuid.UUID, list[Group]] = defaultdict(list)
    for link in live(session, StudentMembership, StudentMembership.group_id.in_(group_by_id)):
        student_links[link.student_id].append(group_by_id[link.group_id])
    staff_links: dict[uuid.UUID, list[tuple[Group, str | None]]] = defaultdict(list)
    for link in live(session, StaffMembership, StaffMembership.group_id.in_(group_by_id)):
        staff_links[link.staff_id].append((group_by_id[link.group_id], link.role))
    locations = sorted({s.location_key for s in students if s.location_key})

    def el(xf: Any, name: str, text: object) -> None:
        if text is None or text == "":
            return
        with xf.element(f"{{{LG_NS}}}{name}"):
            xf.write(str(text))

    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        if soap:
            envelope = xf.element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
            envelope.__enter__()
            body = xf.element(f"{{{SOAP_NS}}}Body")
            body.__enter__()
        with (
            xf.element(f"{{{LG_NS}}}leerlinggegevens_antwoord", nsmap={None: LG_NS}),
            xf.element(f"{{{LG_NS}}}leerlinggegevens"),
        ):
            with xf.element(f"{{{LG_NS}}}school"):
                el(xf, "schooljaar", year.name)
                el(xf, "brincode", school.brin)
                el(xf, "dependancecode", school.location_code)
                el(xf, "auteur", "Koppelvlak bench generator")
                el(xf, "xsdversie", version)
            if locations:
                with xf.element(f"{{{LG_NS}}}vestigingen"):
                    for key in locations:
                        with xf.element(f"{{{LG_NS}}}vestiging", key=key):
                            el(xf, "naam", key[:64])
            if groups:
                with xf.element(f"{{{LG_NS}}}groepen"):
                    for group in groups:
                        _uwlr_group(xf, el, group)
            with xf.element(f"{{{LG_NS}}}leerlingen"):
                for student in sorted(students, key=lambda s: s.source_key):
                    _uwlr_student(xf, el, student, student_links.get(student.id, []))
            if staff:
                with xf.element(f"{{{LG_NS}}}leerkrachten"):
                    for member in sorted(staff, key=lambda s: s.source_key):
                        _uwlr_teacher(xf, el, member, staff_links.get(member.id, []))
        if soap:
            body.__exit__(None, None, None)
            envelope.__exit__(None, None, None)


def _uwlr_group(xf: Any, el: Any, group: Group) -> None:
    if group.kind is GroupKind.CLASS_GROUP:
        with xf.element(f"{{{LG_NS}}}groep", key=group.source_key):
            el(xf, "naam", group.name)
            el(xf, "jaargroep", group.year_group or "N")
            el(xf, "omschrijving", group.description)
    else:  # UWLR has no teaching group: it travels as a composite group
        with xf.element(f"{{{LG_NS}}}samengestelde_groep", key=group.source_key):
            el(xf, "naam", group.name)
            el(xf, "omschrijving", group.description)


def _names(el: Any, xf: Any, person: Student | Staff) -> None:
    if person.family_name:
        el(xf, "achternaam", person.family_name)
        el(xf, "voorvoegsel", person.name_prefix)
        el(xf, "voornamen", person.first_names)
        el(xf, "voorletters-1", person.initials)
    el(xf, "roepnaam", person.given_name)


def _uwlr_student(xf: Any, el: Any, student: Student, groups: list[Group]) -> None:
    attributes = {"key": student.source_key}
    if student.eckid:
        attributes["eckid"] = student.eckid
    class_groups = [g for g in groups if g.kind is GroupKind.CLASS_GROUP]
    others = sorted(
        (g for g in groups if g.kind is not GroupKind.CLASS_GROUP), key=lambda g: g.source_key
    )
    with xf.element(f"{{{LG_NS}}}leerling", **attributes):
        _names(el, xf, student)
        el(xf, "geboortedatum", student.birth_date)
        el(xf, "geslacht", SEX_CODES[student.sex] if student.sex else None)
        el(xf, "start_ondw_jgr3", student.group3_start_date)
        el(xf, "jaargroep", student.year_group)
        if class_groups:
            with xf.element(f"{{{LG_NS}}}groep", key=class_groups[0].source_key):
                pass
        if others:
            with xf.element(f"{{{LG_NS}}}samengestelde_groepen"):
                for group in others:
                    with xf.element(f"{{{LG_NS}}}samengestelde_groep", key=group.source_key):
                        pass
        if student.location_key:
            with xf.element(f"{{{LG_NS}}}vestiging", key=student.location_key):
                pass
        el(xf, "gebruikersnaam", student.username)
        el(xf, "emailadres", student.email)
        el(xf, "fotourl", student.photo_url)
        el(xf, "instroomdatum", student.enrolment_start)
        el(xf, "uitstroomdatum", student.enrolment_end)


def _role(xf: Any, el: Any, role: str | None) -> None:
    for part in (role or "").split(", "):
        if part:
            el(xf, "rol" if part in STAFF_ROLES else "rolomschrijving", part)


def _uwlr_teacher(xf: Any, el: Any, member: Staff, groups: list[tuple[Group, str | None]]) -> None:
    attributes = {"key": member.source_key}
    if member.eckid:
        attributes["eckid"] = member.eckid
    with xf.element(f"{{{LG_NS}}}leerkracht", **attributes):
        _names(el, xf, member)
        el(xf, "gebruikersnaam", member.username)
        el(xf, "emailadres", member.email)
        _role(xf, el, member.role)
        el(xf, "rolomschrijving", member.role_description)
        if groups:
            with xf.element(f"{{{LG_NS}}}groepen"):
                for group, role in sorted(groups, key=lambda item: item[0].source_key):
                    tag = "groep" if group.kind is GroupKind.CLASS_GROUP else "samengestelde_groep"
                    with xf.element(f"{{{LG_NS}}}{tag}", key=group.source_key):
                        _role(xf, el, role)


def export_uwlr(
    session: Session, board_id: uuid.UUID, folder: Path, *, soap: bool = False
) -> list[Path]:
    """One file per school: ``<BRIN><location>.xml``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for school in live(session, School, School.board_id == board_id):
        path = folder / f"{school.brin}{school.location_code}.xml"
        with path.open("wb") as out:
            write_uwlr(session, school, out, soap=soap)
        written.append(path)
    return sorted(written)
