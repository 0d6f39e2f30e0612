"""OneRoster 1.2 rows to snapshots: orgs of type school are schools, the district is the board.

Users become students, staff or guardians through their roles at a school; classes become groups
(homeroom → class group, scheduled → teaching group) and enrollments memberships. Dutch fields
OneRoster has no column for travel in ``metadata.nl.*`` columns (name prefix in ``middleName``);
a package without them leaves those fields as they are. Race, ethnicity and place of birth are
read past and never stored (data minimisation). A reference the package does not carry (a delta
whose manifest marks ``orgs`` absent) resolves against what the roster stores
(``oneroster_build``); this module is the importer's entry point, ``parse_oneroster``.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.oneroster_build import Build, SchoolDraft, stored_places
from koppelvlak.roster.importers.oneroster_csv import Reader
from koppelvlak.roster.importers.oneroster_package import MAX_FIELD, Package
from koppelvlak.roster.importers.oneroster_people import (
    STAFF_METADATA,
    STUDENT_METADATA,
    guardian_record,
    staff_record,
    student_record,
)
from koppelvlak.roster.importers.oneroster_spec import GUARDIAN_ROLES, NOT_STORED, STAFF_ROLES
from koppelvlak.roster.importers.oneroster_stored import Lookup, nothing_stored
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    GuardianLink,
    Mode,
    Part,
    SchoolSnapshot,
    SchoolYearRecord,
    Snapshot,
    StaffLink,
    StudentLink,
)
from koppelvlak.roster.importers.values import check_length, parse_date, sector_of

_BRIN = re.compile(r"^(\d{2}[A-Z]{2})(\d{2})?$")
_MODE = {"bulk": Mode.REPLACE, "delta": Mode.MERGE, "absent": Mode.KEEP}
_SEX = {"male": "male", "female": "female", "unspecified": "unspecified", "other": "unknown"}
_KINDS = {"class_group", "teaching_group", "composite_group"}


def parse_oneroster(
    path: Path,
    *,
    today: date,
    progress: Callable[[int], None] | None = None,
    stored: Lookup = nothing_stored,
) -> Snapshot:
    """Read a OneRoster 1.2 CSV package into a snapshot, or raise ImportFailed.

    ``stored`` reads what the roster holds; it is called at most once, and only when the
    package refers to a school, class or user it does not carry.
    """
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        reader = Reader(Package(path), today, progress=progress)
        reader.check_shape()
        return build_snapshot(reader, source=path.name, stored=stored)
    finally:
        csv.field_size_limit(previous)


def build_snapshot(reader: Reader, *, source: str, stored: Lookup = nothing_stored) -> Snapshot:
    build = Build(reader, stored)
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


def _orgs(build: Build) -> None:
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
            build.schools[row["sourcedId"]] = SchoolDraft(
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


def _sessions(build: Build) -> None:
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


def _year_of(build: Build, session_id: str) -> SchoolYearRecord | None:
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


def _classes(build: Build) -> None:
    for where, row in build.reader.rows("classes"):
        school = build.school(row["schoolSourcedId"])
        if school is None:
            raise ImportFailed(
                build.unknown_school("schoolSourcedId", row["schoolSourcedId"]), location=where
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


def _users(build: Build) -> None:
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


def _roles(build: Build) -> None:
    for where, row in build.reader.rows("roles"):
        user, org, role = row["userSourcedId"], row["orgSourcedId"], row["role"]
        build.known("user", user, build.users, where=where, column="userSourcedId", logical="users")
        build.known("org", org, build.orgs, where=where, column="orgSourcedId", logical="orgs")
        school = build.school(org)
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
            demographics = build.demographics.get(user, (None, None))
            where_user = build.user_at[user]
            school.students[user] = student_record(user, data, where_user, demographics, build.warn)
        elif role in STAFF_ROLES:
            school.staff[user] = staff_record(user, data, build.user_at[user], role, build.warn)
        elif role in GUARDIAN_ROLES:
            build.guardians[user] = guardian_record(user, data, build.user_at[user], build.warn)
            build.guardian_schools[user].add(org)
    if build.reader.modes.get("roles") != "bulk":
        stored_places(build)


def _enrollments(build: Build) -> None:
    for where, row in build.reader.rows("enrollments"):
        klass, user = row["classSourcedId"], row["userSourcedId"]
        build.known(
            "class", klass, build.classes, where=where, column="classSourcedId", logical="classes"
        )
        build.known("user", user, build.users, where=where, column="userSourcedId", logical="users")
        school_key = build.classes.get(klass)
        if school_key is None and build.reader.modes.get("classes") != "bulk":
            school_key = build.stored.groups.get(klass)
        school = build.school(school_key or row["schoolSourcedId"])
        if school is None:
            raise ImportFailed(
                f"the class {klass!r} belongs to no school in this package nor to a stored "
                "school; expected its school in orgs.csv or imported before",
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


def _school_snapshot(build: Build, school: SchoolDraft, modes: dict[str, Mode]) -> SchoolSnapshot:
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


def _absent(build: Build) -> frozenset[str]:
    """Fields this package says nothing about: the roster keeps what it has for them."""
    absent = set()
    if not build.reader.has("demographics"):
        absent |= {"birth_date", "sex"}
    header = set(build.reader.headers.get("users", ()))
    for name, column in {**STUDENT_METADATA, **STAFF_METADATA}.items():
        if column not in header and name != "role_description":  # that falls back to the role
            absent.add(name)
    return frozenset(absent)
