"""Export a board as a OneRoster 1.2 CSV bulk package.

Columns and manifest come from the importer's specification (``oneroster_spec``). Dutch fields
OneRoster has no column for travel in ``metadata.nl.*`` columns, which the 1.2 CSV binding
allows after the standard columns.
"""

from __future__ import annotations

import csv
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bench.board_rows import live, school_year_of
from koppelvlak.roster.importers.oneroster_spec import COLUMNS, IMPORTED, MANIFEST_ORDER
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

HEADERS = {name: COLUMNS[name] for name in IMPORTED}
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
    for school in sorted(live(session, School, School.board_id == board_id), key=lambda s: s.brin):
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
        self.links = live(session, Guardianship, Guardianship.board_id == board.id)
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
        for link in live(
            self.session, StudentMembership, StudentMembership.group_id.in_(class_ids)
        ):
            user, klass = user_ids[link.student_id], class_ids[link.group_id]
            self.rows["enrollments"].append(
                [f"enr-{klass}-{user}", "", "", klass, org, user, "student", "false", "", "", ""]
            )
        for link in live(self.session, StaffMembership, StaffMembership.group_id.in_(class_ids)):
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
            live(self.session, Group, Group.school_id == school.id), key=lambda g: g.source_key
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
            live(self.session, Student, Student.school_id == school.id), key=lambda s: s.source_key
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
            live(self.session, Staff, Staff.school_id == school.id), key=lambda s: s.source_key
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
            live(self.session, Guardian, Guardian.board_id == self.board.id),
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
            writer.writerow([*header, *METADATA.get(name, [])])
            writer.writerows(rows[name])
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["propertyName", "value"])
        writer.writerow(["manifest.version", "1.0"])
        writer.writerow(["oneroster.version", "1.2"])
        for name in MANIFEST_ORDER:
            writer.writerow([f"file.{name}", "bulk" if name in HEADERS else "absent"])
        writer.writerow(["source.systemName", "Koppelvlak bench generator"])
        writer.writerow(["source.systemCode", "koppelvlak"])
