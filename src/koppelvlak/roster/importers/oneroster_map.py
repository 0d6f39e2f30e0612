"""OneRoster 1.2 rows to snapshots: orgs of type school are schools, the district is the board.

Users become students, staff or guardians through their roles at a school; classes become groups
(homeroom → class group, scheduled → teaching group) and enrollments memberships. Dutch fields
OneRoster has no column for travel in ``metadata.nl.*`` columns (name prefix in ``middleName``);
a package without them leaves those fields as they are. Race, ethnicity and place of birth are
read past and never stored (data minimisation).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.oneroster_csv import Reader
from koppelvlak.roster.importers.oneroster_spec import GUARDIAN_ROLES, NOT_STORED, STAFF_ROLES
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    GuardianLink,
    GuardianRecord,
    Mode,
    Part,
    SchoolSnapshot,
    SchoolYearRecord,
    Snapshot,
    StaffLink,
    StaffRecord,
    StudentLink,
    StudentRecord,
)
from koppelvlak.roster.importers.values import check_length, parse_date, sector_of

_BRIN = re.compile(r"^(\d{2}[A-Z]{2})(\d{2})?$")
_MODE = {"bulk": Mode.REPLACE, "delta": Mode.MERGE, "absent": Mode.KEEP}
_SEX = {"male": "male", "female": "female", "unspecified": "unspecified", "other": "unknown"}
_KINDS = {"class_group", "teaching_group", "composite_group"}
STUDENT_METADATA = {
    "first_names": "metadata.nl.firstNames",
    "initials": "metadata.nl.initials",
    "group3_start_date": "metadata.nl.group3StartDate",
    "enrolment_start": "metadata.nl.enrolmentStart",
    "enrolment_end": "metadata.nl.enrolmentEnd",
    "location_key": "metadata.nl.locationKey",
    "photo_url": "metadata.nl.photoUrl",
}
STAFF_METADATA = {
    "first_names": "metadata.nl.firstNames",
    "initials": "metadata.nl.initials",
    "role": "metadata.nl.staffRole",
    "role_description": "metadata.nl.roleDescription",
}
LIMITS = {
    "first_names": 200,
    "initials": 10,
    "location_key": 256,
    "photo_url": 256,
    "role": 8,
    "role_description": 64,
}


@dataclass
class _School:
    key: str
    brin: str
    location: str
    name: str
    sector: str | None
    groups: list[GroupRecord] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    school_year: SchoolYearRecord | None = None
    students: dict[str, StudentRecord] = field(default_factory=dict)
    staff: dict[str, StaffRecord] = field(default_factory=dict)
    removed_people: set[str] = field(default_factory=set)
    student_links: list[StudentLink] = field(default_factory=list)
    staff_links: list[StaffLink] = field(default_factory=list)
    removed_links: set[str] = field(default_factory=set)
    removed_groups: set[str] = field(default_factory=set)


@dataclass
class _Build:
    reader: Reader
    schools: dict[str, _School] = field(default_factory=dict)
    orgs: set[str] = field(default_factory=set)
    districts: list[str] = field(default_factory=list)
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    courses: set[str] = field(default_factory=set)
    classes: dict[str, str] = field(default_factory=dict)  # class → school
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    user_at: dict[str, str] = field(default_factory=dict)
    deleted_users: set[str] = field(default_factory=set)
    demographics: dict[str, tuple[date | None, str | None]] = field(default_factory=dict)
    guardians: dict[str, GuardianRecord] = field(default_factory=dict)
    guardian_schools: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    roles: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def warn(self, what: str, where: str) -> None:
        self.reader.warnings.add(what, where)

    def known(
        self,
        kind: str,
        key: str,
        pool: Container[str],
        *,
        where: str,
        column: str,
        logical: str,
    ) -> None:
        if key and key not in pool and self.reader.modes.get(logical) == "bulk":
            raise ImportFailed(
                f"{column} {key!r} is not a {kind} in {logical}.csv; expected a "
                "sourcedId listed there",
                location=where,
            )


def build_snapshot(reader: Reader, *, source: str) -> Snapshot:
    build = _Build(reader)
    _orgs(build)
    _sessions(build)
    _classes(build)
    _users(build)
    _roles(build)
    _enrollments(build)
    modes = {
        name: _MODE[reader.modes.get(name, "absent")]
        for name in ("classes", "users", "enrollments")
    }
    schools = tuple(_school_snapshot(build, school, modes) for school in build.schools.values())
    board = build.districts[0] if build.districts else None
    if board is not None:
        check_length(board, 32, where="orgs.csv", what="the district identifier")
    guardians = Part(
        modes["users"], tuple(build.guardians.values()), frozenset(build.deleted_users)
    )
    return Snapshot("oneroster", source, schools, reader.warnings.render(), guardians, board)


def _orgs(build: _Build) -> None:
    rows = list(build.reader.rows("orgs"))
    build.orgs = {row["sourcedId"] for _, row in rows}
    for where, row in rows:
        build.known(
            "org",
            row["parentSourcedId"],
            build.orgs,
            where=where,
            column="parentSourcedId",
            logical="orgs",
        )
        if row["status"] == "tobedeleted":
            build.warn("removing an org is not supported; the row is ignored", where)
        elif row["type"] == "district":
            build.districts.append(row["identifier"] or row["sourcedId"])
        elif row["type"] == "school":
            match = _BRIN.match(row["identifier"])
            if not match:
                raise ImportFailed(
                    f"school {row['sourcedId']!r} has identifier "
                    f"{row['identifier']!r}; expected its BRIN code such as 99XX or "
                    "99XX00 (Koppelvlak keys schools by BRIN)",
                    location=where,
                )
            sector = row.get("metadata.nl.sector") or None
            if sector not in (None, "PO", "VO", "MBO"):
                raise ImportFailed(
                    f"metadata.nl.sector {sector!r} is unknown; expected PO, VO or MBO",
                    location=where,
                )
            build.schools[row["sourcedId"]] = _School(
                row["sourcedId"],
                match.group(1),
                match.group(2) or "00",
                check_length(row["name"], 200, where=where, what="name"),
                sector,
            )
        else:
            build.warn(
                f"org of type {row['type']!r} ignored (only schools and the district)", where
            )
    if len(set(build.districts)) > 1:
        raise ImportFailed(
            "orgs.csv holds several districts; expected one (a district is a board)",
            location="orgs.csv",
        )


def _sessions(build: _Build) -> None:
    rows = list(build.reader.rows("academicSessions"))
    build.sessions = {row["sourcedId"]: row for _, row in rows}
    for where, row in rows:
        build.known(
            "session",
            row["parentSourcedId"],
            build.sessions,
            where=where,
            column="parentSourcedId",
            logical="academicSessions",
        )
    build.courses = {row["sourcedId"] for _, row in build.reader.rows("courses")}


def _year_of(build: _Build, session_id: str) -> SchoolYearRecord | None:
    seen: set[str] = set()
    row = build.sessions.get(session_id)
    while row is not None and row["type"] != "schoolYear" and row["sourcedId"] not in seen:
        seen.add(row["sourcedId"])
        row = build.sessions.get(row["parentSourcedId"])
    if row is None or row["type"] != "schoolYear" or not row["schoolYear"].isdigit():
        return None
    end = int(row["schoolYear"])
    starts = (
        parse_date(row["startDate"], where="academicSessions.csv", what="startDate")
        if row["startDate"]
        else date(end - 1, 8, 1)
    )
    ends = (
        parse_date(row["endDate"], where="academicSessions.csv", what="endDate")
        if row["endDate"]
        else date(end, 7, 31)
    )
    return SchoolYearRecord(f"{end - 1}-{end}", starts, ends)


def _classes(build: _Build) -> None:
    for where, row in build.reader.rows("classes"):
        school = build.schools.get(row["schoolSourcedId"])
        if school is None:
            raise ImportFailed(
                f"schoolSourcedId {row['schoolSourcedId']!r} is not a school in "
                "orgs.csv; expected a school org",
                location=where,
            )
        build.known(
            "course",
            row["courseSourcedId"],
            build.courses,
            where=where,
            column="courseSourcedId",
            logical="courses",
        )
        terms = [t.strip() for t in row["termSourcedIds"].split(",") if t.strip()]
        for term in terms:
            build.known(
                "session",
                term,
                build.sessions,
                where=where,
                column="termSourcedIds",
                logical="academicSessions",
            )
        key = row["sourcedId"]
        build.classes[key] = school.key
        if row["status"] == "tobedeleted":
            school.removed_groups.add(key)
            continue
        kind = row.get("metadata.nl.kind") or (
            "class_group" if row["classType"] == "homeroom" else "teaching_group"
        )
        if kind not in _KINDS:
            raise ImportFailed(
                f"metadata.nl.kind {kind!r} is unknown; expected one of "
                + ", ".join(sorted(_KINDS)),
                location=where,
            )
        grades = [g.strip() for g in row["grades"].split(",") if g.strip()]
        year_group = grades[0] if len(grades) == 1 and len(grades[0]) <= 2 else None
        if year_group:
            school.years.append(year_group)
        school.groups.append(
            GroupRecord(
                key=check_length(key, 256, where=where, what="sourcedId"),
                kind=kind,
                name=check_length(row["title"] or key, 200, where=where, what="title"),
                description=row.get("metadata.nl.description") or None,
                year_group=year_group,
            )
        )
        if school.school_year is None and terms:
            school.school_year = _year_of(build, terms[0])


def _users(build: _Build) -> None:
    for where, row in build.reader.rows("users"):
        build.users[row["sourcedId"]] = row
        build.user_at[row["sourcedId"]] = where
        if row["status"] == "tobedeleted":
            build.deleted_users.add(row["sourcedId"])
        elif not (row["givenName"] or row["familyName"] or row["preferredGivenName"]):
            raise ImportFailed(
                "the user has neither givenName nor familyName; expected at least one",
                location=where,
            )
    for where, row in build.reader.rows("demographics"):
        build.known(
            "user", row["sourcedId"], build.users, where=where, column="sourcedId", logical="users"
        )
        for column in NOT_STORED:
            if row[column]:
                build.warn(f"{column} not stored (data minimisation)", where)
        birth = (
            parse_date(row["birthDate"], where=where, what="birthDate")
            if row["birthDate"]
            else None
        )
        build.demographics[row["sourcedId"]] = (birth, _SEX.get(row["sex"]) if row["sex"] else None)


def _roles(build: _Build) -> None:
    for where, row in build.reader.rows("roles"):
        user, org, role = row["userSourcedId"], row["orgSourcedId"], row["role"]
        build.known("user", user, build.users, where=where, column="userSourcedId", logical="users")
        build.known("org", org, build.orgs, where=where, column="orgSourcedId", logical="orgs")
        school = build.schools.get(org)
        if school is None:
            build.warn("a role at an org that is not a school is ignored", where)
            continue
        if row["status"] == "tobedeleted" or user in build.deleted_users:
            school.removed_people.add(user)
            continue
        data = build.users.get(user)
        if data is None:
            raise ImportFailed(
                f"userSourcedId {user!r} is not in users.csv; expected the user's "
                "row in the same package",
                location=where,
            )
        build.roles[user].add((org, role))
        if role == "student":
            school.students[user] = _student(build, user, data)
        elif role in STAFF_ROLES:
            school.staff[user] = _staff(build, user, data, role)
        elif role in GUARDIAN_ROLES:
            build.guardians[user] = _guardian(build, user, data)
            build.guardian_schools[user].add(org)


def _names(build: _Build, data: dict[str, str], where: str) -> dict[str, Any]:
    prefix = data.get("metadata.nl.namePrefix", data["middleName"]) or None
    if prefix is not None and len(prefix) > 10:
        build.warn(
            "middleName longer than 10 characters is not a Dutch name prefix; not stored", where
        )
        prefix = None
    given = data["preferredGivenName"] or data["givenName"] or None
    return {
        "family_name": check_length(data["familyName"], 200, where=where, what="familyName")
        or None,
        "given_name": check_length(given, 64, where=where, what="givenName") if given else None,
        "name_prefix": prefix,
        "email": check_length(data["email"], 256, where=where, what="email") or None,
        "username": check_length(data["username"], 64, where=where, what="username") or None,
    }


def _metadata(data: dict[str, str], columns: dict[str, str], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, column in columns.items():
        text = data.get(column) or None
        if text is not None and name in ("group3_start_date", "enrolment_start", "enrolment_end"):
            values[name] = parse_date(text, where=where, what=column)
        elif text is not None:
            values[name] = check_length(text, LIMITS[name], where=where, what=column)
        else:
            values[name] = None
    return values


def _student(build: _Build, user: str, data: dict[str, str]) -> StudentRecord:
    where = build.user_at[user]
    birth, sex = build.demographics.get(user, (None, None))
    grades = [g.strip() for g in data["grades"].split(",") if g.strip()]
    eckid = check_length(
        data["userMasterIdentifier"], 256, where=where, what="userMasterIdentifier"
    )
    return StudentRecord(
        key=check_length(user, 256, where=where, what="sourcedId"),
        eckid=eckid or None,
        birth_date=birth,
        sex=sex,
        year_group=grades[0] if len(grades) == 1 and len(grades[0]) <= 2 else None,
        **_names(build, data, where),
        **_metadata(data, STUDENT_METADATA, where),
    )


def _staff(build: _Build, user: str, data: dict[str, str], role: str) -> StaffRecord:
    where = build.user_at[user]
    values = _metadata(data, STAFF_METADATA, where)
    if "metadata.nl.roleDescription" not in data:
        values["role_description"] = role
    eckid = check_length(
        data["userMasterIdentifier"], 256, where=where, what="userMasterIdentifier"
    )
    return StaffRecord(
        key=check_length(user, 256, where=where, what="sourcedId"),
        eckid=eckid or None,
        **_names(build, data, where),
        **values,
    )


def _guardian(build: _Build, user: str, data: dict[str, str]) -> GuardianRecord:
    where = build.user_at[user]
    names = _names(build, data, where)
    return GuardianRecord(
        key=user,
        family_name=names["family_name"],
        name_prefix=names["name_prefix"],
        given_name=names["given_name"],
        email=names["email"],
        phone=check_length(data["phone"], 32, where=where, what="phone") or None,
    )


def _enrollments(build: _Build) -> None:
    for where, row in build.reader.rows("enrollments"):
        klass, user = row["classSourcedId"], row["userSourcedId"]
        build.known(
            "class", klass, build.classes, where=where, column="classSourcedId", logical="classes"
        )
        build.known("user", user, build.users, where=where, column="userSourcedId", logical="users")
        school_key = build.classes.get(klass) or row["schoolSourcedId"]
        school = build.schools.get(school_key)
        if school is None:
            raise ImportFailed(
                f"the class {klass!r} belongs to no school in this package; "
                "expected its school in orgs.csv",
                location=where,
            )
        link = f"{user}\x00{klass}"
        if row["status"] == "tobedeleted":
            school.removed_links.add(link)
        elif row["role"] == "student":
            school.student_links.append(StudentLink(user, klass))
        else:
            role = row.get("metadata.nl.role", row["role"]) or None
            school.staff_links.append(StaffLink(user, klass, role))


def _school_snapshot(build: _Build, school: _School, modes: dict[str, Mode]) -> SchoolSnapshot:
    for user in school.students:
        if user in school.staff:
            raise ImportFailed(
                f"user {user!r} is both a student and staff at school "
                f"{school.key!r}; expected one role",
                location="roles.csv",
            )
    agents: list[GuardianLink] = []
    named_by_student: dict[str, set[str]] = defaultdict(set)  # guardian → students naming it
    for student in school.students:
        for agent in build.users[student]["agentSourcedIds"].split(","):
            if agent:
                named_by_student[agent].add(student)
    for guardian, orgs in build.guardian_schools.items():
        if school.key not in orgs:
            continue
        relation = next(role for org, role in build.roles[guardian] if org == school.key)
        children = {c for c in build.users[guardian]["agentSourcedIds"].split(",") if c}
        children |= named_by_student.get(guardian, set())
        agents += [
            GuardianLink(guardian, child, relation)
            for child in sorted(children)
            if child in school.students
        ]
    people = frozenset(school.removed_people | build.deleted_users)
    links = frozenset(school.removed_links)
    return SchoolSnapshot(
        brin=school.brin,
        location_code=school.location,
        name=school.name,
        sector=school.sector or sector_of(school.years) or "PO",
        source_key=school.key,
        school_year=school.school_year,
        groups=Part(modes["classes"], tuple(school.groups), frozenset(school.removed_groups)),
        students=Part(modes["users"], tuple(school.students.values()), people),
        staff=Part(modes["users"], tuple(school.staff.values()), people),
        student_links=Part(modes["enrollments"], tuple(school.student_links), links),
        staff_links=Part(modes["enrollments"], tuple(school.staff_links), links),
        guardian_links=Part(modes["users"], tuple(agents)),
        absent_fields=_absent(build),
    )


def _absent(build: _Build) -> frozenset[str]:
    """Fields this package says nothing about: the roster keeps what it has for them."""
    absent = set()
    if not build.reader.has("demographics"):
        absent |= {"birth_date", "sex"}
    header = set(build.reader.headers.get("users", ()))
    for name, column in {**STUDENT_METADATA, **STAFF_METADATA}.items():
        if column not in header and name != "role_description":  # that falls back to the role
            absent.add(name)
    return frozenset(absent)
