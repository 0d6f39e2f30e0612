"""Export a board from the database as LAS files: UWLR 2.2 XML per school, OneRoster 1.2 CSV.

Used by the import benchmarks (large inputs from ``koppelvlak demo --students 50000``) and by the
round-trip tests (demo board → files → empty database → the same roster). The UWLR output is
valid against the official 2.2 XSD (with the school-year overlay of ``shared/uwlr/NOTES.md``
§15.4 for years after 2024-2025). Dutch fields OneRoster has no column for travel in
``metadata.nl.*`` columns, which the 1.2 CSV binding allows after the standard columns.

    python -m bench.generate --database-url sqlite:///koppelvlak.db --board DEMO --out /tmp/export
"""

from __future__ import annotations

import argparse
import csv
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.roster.models import (
    Board,
    Group,
    GroupKind,
    Guardian,
    Guardianship,
    School,
    SchoolYear,
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


def _live(session: Session, model: Any, *where: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.removed_at.is_(None), *where)))


def school_year_of(session: Session, board_id: uuid.UUID) -> SchoolYear:
    years = list(
        session.scalars(
            select(SchoolYear).where(SchoolYear.board_id == board_id).order_by(SchoolYear.name)
        )
    )
    return years[-1]


# ----------------------------------------------------------------------------- UWLR


def write_uwlr(
    session: Session, school: School, out: BinaryIO, *, soap: bool = False, version: str = "2.2"
) -> None:
    """One school as a ``leerlinggegevens_antwoord``, streamed with lxml's incremental writer."""
    year = school_year_of(session, school.board_id)
    groups = sorted(_live(session, Group, Group.school_id == school.id), key=lambda g: g.source_key)
    group_by_id = {g.id: g for g in groups}
    students = _live(session, Student, Student.school_id == school.id)
    staff = _live(session, Staff, Staff.school_id == school.id)
    student_links: dict[uuid.UUID, list[Group]] = defaultdict(list)
    for link in _live(session, StudentMembership, StudentMembership.group_id.in_(group_by_id)):
        student_links[link.student_id].append(group_by_id[link.group_id])
    staff_links: dict[uuid.UUID, list[tuple[Group, str | None]]] = defaultdict(list)
    for link in _live(session, StaffMembership, StaffMembership.group_id.in_(group_by_id)):
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
    for school in _live(session, School, School.board_id == board_id):
        path = folder / f"{school.brin}{school.location_code}.xml"
        with path.open("wb") as out:
            write_uwlr(session, school, out, soap=soap)
        written.append(path)
    return sorted(written)


# ----------------------------------------------------------------------------- OneRoster 1.2 CSV

HEADERS = {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
    "orgSourcedId,subjects,subjectCodes",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
    "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users": "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns",
    "roles": "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,"
    "asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
    "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
    "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
}
METADATA = {
    "orgs": ["metadata.nl.sector"],
    "classes": ["metadata.nl.kind", "metadata.nl.description"],
    "users": [
        "metadata.nl.firstNames",
        "metadata.nl.initials",
        "metadata.nl.group3StartDate",
        "metadata.nl.enrolmentStart",
        "metadata.nl.enrolmentEnd",
        "metadata.nl.locationKey",
        "metadata.nl.photoUrl",
        "metadata.nl.staffRole",
        "metadata.nl.roleDescription",
    ],
    "enrollments": ["metadata.nl.role"],
}
MANIFEST_FILES = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
]
OR_SEX = {
    Sex.MALE: "male",
    Sex.FEMALE: "female",
    Sex.UNSPECIFIED: "unspecified",
    Sex.UNKNOWN: "other",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Ids:
    """OneRoster sourcedIds are unique per package; LAS keys only per school. Keep keys
    verbatim and qualify one with its school only when two schools share it."""

    def __init__(self) -> None:
        self.used: dict[str, object] = {}

    def __call__(self, key: str, owner: object, school: School) -> str:
        if self.used.setdefault(key, owner) == owner:
            return key
        qualified = f"{school.brin}{school.location_code}/{key}"
        self.used[qualified] = owner
        return qualified


def export_oneroster(session: Session, board_id: uuid.UUID, folder: Path) -> Path:
    """The board as a OneRoster 1.2 CSV bulk package in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    board = session.get_one(Board, board_id)
    year = school_year_of(session, board_id)
    package = _Package(session, board, year)
    for school in sorted(_live(session, School, School.board_id == board_id), key=lambda s: s.brin):
        package.school(school)
    package.guardians()
    _write_package(folder, package.rows)
    return folder


class _Package:
    def __init__(self, session: Session, board: Board, year: SchoolYear) -> None:
        self.session = session
        self.board = board
        self.rows: dict[str, list[list[str]]] = {name: [] for name in HEADERS}
        self.district = f"district-{board.code}"
        self.rows["orgs"].append(
            [self.district, "", "", board.name, "district", board.code, "", ""]
        )
        self.session_id = f"sy-{year.name}"
        self.start = int(year.name[:4])
        self.rows["academicSessions"].append(
            [
                self.session_id,
                "",
                "",
                year.name,
                "schoolYear",
                _text(year.starts_on),
                _text(year.ends_on),
                "",
                year.name[5:],
            ]
        )
        self.ids = _Ids()
        self.links = _live(session, Guardianship, Guardianship.board_id == board.id)
        self.guardian_orgs: dict[uuid.UUID, set[str]] = defaultdict(set)
        self.guardian_children: dict[uuid.UUID, list[str]] = defaultdict(list)
        self.user_rows: dict[str, list[str]] = {}

    def school(self, school: School) -> None:
        org = school.source_key or f"{school.brin}{school.location_code}"
        self.rows["orgs"].append(
            [
                org,
                "",
                "",
                school.name,
                "school",
                f"{school.brin}{school.location_code}",
                self.district,
                school.sector.value,
            ]
        )
        course = f"course-{org}-{self.start}"
        self.rows["courses"].append(
            [course, "", "", self.session_id, f"Rooster {school.name}"[:200], "", "", org, "", ""]
        )
        class_ids = self._classes(school, org, course)
        user_ids = self._people(school, org)
        for link in _live(
            self.session, StudentMembership, StudentMembership.group_id.in_(class_ids)
        ):
            user, klass = user_ids[link.student_id], class_ids[link.group_id]
            self.rows["enrollments"].append(
                [f"enr-{klass}-{user}", "", "", klass, org, user, "student", "false", "", "", ""]
            )
        for link in _live(self.session, StaffMembership, StaffMembership.group_id.in_(class_ids)):
            user, klass = user_ids[link.staff_id], class_ids[link.group_id]
            self.rows["enrollments"].append(
                [
                    f"enr-{klass}-{user}",
                    "",
                    "",
                    klass,
                    org,
                    user,
                    "teacher",
                    "false",
                    "",
                    "",
                    _text(link.role),
                ]
            )
        for guardianship in self.links:
            if guardianship.student_id in user_ids:
                self.guardian_orgs[guardianship.guardian_id].add(org)
                self.guardian_children[guardianship.guardian_id].append(
                    user_ids[guardianship.student_id]
                )

    def _classes(self, school: School, org: str, course: str) -> dict[uuid.UUID, str]:
        class_ids = {}
        for group in sorted(
            _live(self.session, Group, Group.school_id == school.id), key=lambda g: g.source_key
        ):
            class_id = self.ids(group.source_key, ("group", group.id), school)
            class_ids[group.id] = class_id
            kind = "homeroom" if group.kind is GroupKind.CLASS_GROUP else "scheduled"
            self.rows["classes"].append(
                [
                    class_id,
                    "",
                    "",
                    group.name,
                    _text(group.year_group),
                    course,
                    "",
                    kind,
                    "",
                    org,
                    self.session_id,
                    "",
                    "",
                    "",
                    group.kind.value,
                    _text(group.description),
                ]
            )
        return class_ids

    def _people(self, school: School, org: str) -> dict[uuid.UUID, str]:
        user_ids = {}
        for student in sorted(
            _live(self.session, Student, Student.school_id == school.id), key=lambda s: s.source_key
        ):
            user = self.ids(student.source_key, ("person", student.source_key), school)
            user_ids[student.id] = user
            extra = [
                student.group3_start_date,
                student.enrolment_start,
                student.enrolment_end,
                student.location_key,
                student.photo_url,
                None,
                None,
            ]
            self._user(_user(student, user, org, student.year_group, extra), "student", org)
            self.rows["demographics"].append(
                [
                    user,
                    "",
                    "",
                    _text(student.birth_date),
                    OR_SEX[student.sex] if student.sex else "",
                ]
                + [""] * 11
            )
        for member in sorted(
            _live(self.session, Staff, Staff.school_id == school.id), key=lambda s: s.source_key
        ):
            user = self.ids(member.source_key, ("person", member.source_key), school)
            user_ids[member.id] = user
            extra = [None, None, None, None, None, member.role, member.role_description]
            self._user(_user(member, user, org, None, extra), "teacher", org)
        return user_ids

    def _user(self, row: list[str], role: str, org: str) -> None:
        self.rows["users"].append(row)
        self.user_rows[row[0]] = row
        self.rows["roles"].append(
            [f"role-{row[0]}-{org}", "", "", row[0], "primary", role, "", "", org, ""]
        )

    def guardians(self) -> None:
        relation = {link.guardian_id: link.relation for link in self.links}
        for guardian in sorted(
            _live(self.session, Guardian, Guardian.board_id == self.board.id),
            key=lambda g: g.source_key,
        ):
            orgs = sorted(self.guardian_orgs.get(guardian.id, ()))
            if not orgs:
                continue
            children = sorted(self.guardian_children[guardian.id])
            row = _user(guardian, guardian.source_key, orgs[0], None, [None] * 7)
            row[13] = ",".join(children)
            kind = relation[guardian.id]
            role = kind if kind in ("parent", "guardian") else "relative"
            self._user(row, role, orgs[0])
            for org in orgs[1:]:
                self.rows["roles"].append(
                    [f"role-{row[0]}-{org}", "", "", row[0], "secondary", role, "", "", org, ""]
                )
            for child in children:
                agents = self.user_rows[child][13]
                self.user_rows[child][13] = f"{agents},{row[0]}" if agents else row[0]


def _user(person: Any, user: str, org: str, grades: str | None, extra: list[object]) -> list[str]:
    first_names = getattr(person, "first_names", None)
    initials = getattr(person, "initials", None)
    return [
        user,
        "",
        "",
        "true",
        _text(getattr(person, "username", None)),
        "",
        _text(person.given_name),
        _text(person.family_name),
        _text(person.name_prefix),
        "",
        _text(person.email),
        "",
        _text(getattr(person, "phone", None)),
        "",
        _text(grades),
        "",
        _text(getattr(person, "eckid", None)),
        "",
        "",
        "",
        "",
        org,
        "",
        _text(first_names),
        _text(initials),
        *(_text(value) for value in extra),
    ]


def _write_package(folder: Path, rows: dict[str, list[list[str]]]) -> None:
    for name, header in HEADERS.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header.split(",") + METADATA.get(name, []))
            writer.writerows(rows[name])
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["propertyName", "value"])
        writer.writerow(["manifest.version", "1.0"])
        writer.writerow(["oneroster.version", "1.2"])
        for name in MANIFEST_FILES:
            writer.writerow([f"file.{name}", "bulk" if name in HEADERS else "absent"])
        writer.writerow(["source.systemName", "Koppelvlak bench generator"])
        writer.writerow(["source.systemCode", "koppelvlak"])


def main() -> None:
    from koppelvlak.db import make_engine, session_factory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--board", default="DEMO", help="board code")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    engine = make_engine(arguments.database_url)
    with session_factory(engine)() as session:
        board_id = session.scalar(select(Board.id).where(Board.code == arguments.board))
        if board_id is None:
            raise SystemExit(f"no board {arguments.board}")
        for path in export_uwlr(session, board_id, arguments.out / "uwlr"):
            print(path)
        print(export_oneroster(session, board_id, arguments.out / "oneroster"))


if __name__ == "__main__":
    main()
