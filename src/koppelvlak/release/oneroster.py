"""Release → OneRoster 1.2 JSON records (the official component schemas are the contract).

Only what a ``Release`` holds is rendered. A withheld attribute the schema *requires* (such as
``givenName``) is sent as the placeholder ``"-"`` and named in ``metadata["nl.withheld"]``; a
withheld optional one is left out (ADR 0044). People are identified by their pseudonym only;
internal ids travel beside the record for the ledger and are never rendered. Fields OneRoster has
no place for go under ``metadata`` with an ``nl.`` prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial

from koppelvlak.release.oneroster_formatting import WITHHELD, required, text, timestamp
from koppelvlak.release.oneroster_grades import course_title, year_group_fields
from koppelvlak.release.values import (
    DepartedPerson,
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

BASE_PATH = "/ims/oneroster/rostering/v1p2"
DEMOGRAPHIC_ATTRIBUTES = frozenset({"student.birth_date", "student.sex"})
_SEX = {"male": "male", "female": "female", "unknown": "unspecified", "unspecified": "unspecified"}
_PERSON_METADATA = {
    "name_prefix": "nl.namePrefix",
    "initials": "nl.initials",
    "first_names": "nl.firstNames",
    "enrolment_start": "nl.enrolmentStart",
    "enrolment_end": "nl.enrolmentEnd",
    "group3_start_date": "nl.group3StartDate",
    "role": "nl.staffRole",
    "role_description": "nl.staffRoleDescription",
}


class Item:
    """One record with what the routes and the ledger need to know about it.

    The record may be given as a function and is then built on first use: a page of 100 users
    out of 2,000 renders 100 (filters and sorts do need them all).
    """

    def __init__(
        self,
        record: dict[str, object] | Callable[[], dict[str, object]],
        release: Release,
        person_id: uuid.UUID | None,  # internal, for the ledger only
        links: frozenset[str],  # sourcedIds of the schools, classes, … it belongs to
        key: str | None = None,  # its sourcedId, when the record is built lazily
    ) -> None:
        self._record = record
        self.release, self.person_id, self.links = release, person_id, links
        self.key = key if key is not None else str(self.record["sourcedId"])

    @property
    def record(self) -> dict[str, object]:
        if callable(self._record):
            self._record = self._record()
        return self._record


def school_sourced_id(brin: str, location_code: str) -> str:
    return f"{brin}{location_code}"


def board_sourced_id(release: Release) -> str:
    return f"board-{release.board_id}"


def _year_bounds(school_year: str) -> tuple[date, date]:
    first = int(school_year[:4])
    return date(first, 8, 1), date(first + 1, 7, 31)


class Renderer:
    """Renders the union of a provider's releases; ``base_url`` makes every ``href`` absolute."""

    def __init__(self, base_url: str, releases: Sequence[Release]) -> None:
        self.base = base_url.rstrip("/") + BASE_PATH
        self.releases = tuple(releases)

    # references -----------------------------------------------------------------------------
    def _ref(self, collection: str, kind: str, sourced_id: str) -> dict[str, object]:
        return {
            "href": f"{self.base}/{collection}/{sourced_id}",
            "sourcedId": sourced_id,
            "type": kind,
        }

    def org_ref(self, sourced_id: str) -> dict[str, object]:
        return self._ref("orgs", "org", sourced_id)

    def _session_ref(self, sourced_id: str) -> dict[str, object]:
        return self._ref("academicSessions", "academicSession", sourced_id)

    # orgs, sessions, courses (public data) ----------------------------------------------------
    def orgs(self) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            board = board_sourced_id(release)
            schools = [school_sourced_id(s.brin, s.location_code) for s in release.schools]
            items.append(
                Item(
                    {
                        "sourcedId": board,
                        "status": "active",
                        "dateLastModified": self._stable(release.schools),
                        "name": getattr(release, "board_name", None) or "Schoolbestuur",
                        "type": "district",
                        "identifier": str(release.board_id),
                        "children": [self.org_ref(s) for s in schools],
                    },
                    release,
                    None,
                    frozenset(schools),
                )
            )
            items.extend(
                Item(
                    self._school(release, school),
                    release,
                    None,
                    frozenset({school_sourced_id(school.brin, school.location_code)}),
                )
                for school in release.schools
            )
        return _unique(items)

    def schools(self) -> list[Item]:
        return [i for i in self.orgs() if i.record["type"] == "school"]

    def _stable(self, schools: Sequence[ReleasedSchool]) -> str:
        years = sorted(s.school_year for s in schools)
        start = _year_bounds(years[0])[0] if years else date(2000, 1, 1)
        return timestamp(datetime(start.year, start.month, start.day, tzinfo=UTC))

    def _school(self, release: Release, school: ReleasedSchool) -> dict[str, object]:
        sourced_id = school_sourced_id(school.brin, school.location_code)
        return {
            "sourcedId": sourced_id,
            "status": "active",
            "dateLastModified": self._stable([school]),
            "metadata": {
                "nl.brin": school.brin,
                "nl.locationCode": school.location_code,
                "nl.sector": school.sector,
            },
            "name": school.name,
            "type": "school",
            "identifier": sourced_id,
            "parent": self.org_ref(board_sourced_id(release)),
        }

    def academic_sessions(self) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            for school in release.schools:
                start, end = _year_bounds(school.school_year)
                modified = self._stable([school])
                links = frozenset({school_sourced_id(school.brin, school.location_code)})
                year_id, term_id = f"schoolyear-{school.school_year}", f"term-{school.school_year}"
                common: dict[str, object] = {
                    "status": "active",
                    "dateLastModified": modified,
                    "startDate": start.isoformat(),
                    "endDate": end.isoformat(),
                    "schoolYear": str(end.year),
                }
                year: dict[str, object] = {
                    "sourcedId": year_id,
                    **common,
                    "title": school.school_year,
                    "type": "schoolYear",
                    "children": [self._session_ref(term_id)],
                }
                term: dict[str, object] = {
                    "sourcedId": term_id,
                    **common,
                    "title": f"Schooljaar {school.school_year}",
                    "type": "term",
                    "parent": self._session_ref(year_id),
                }
                items.append(Item(year, release, None, links))
                items.append(Item(term, release, None, links))
        return _unique(items)

    def terms(self) -> list[Item]:
        return [i for i in self.academic_sessions() if i.record["type"] == "term"]

    def grading_periods(self) -> list[Item]:
        return []

    def _course_id(self, group: ReleasedGroup) -> str:
        year = group.attributes.get("group.year_group")
        school = school_sourced_id(group.school_brin, group.school_location_code)
        return f"{school}-leerjaar-{year}" if year else f"{school}-algemeen"

    def courses(self) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            years = {
                school_sourced_id(s.brin, s.location_code): s.school_year for s in release.schools
            }
            stable = self._stable(release.schools)  # once: it sorts every school of the board
            for group in release.groups:
                school = school_sourced_id(group.school_brin, group.school_location_code)
                year = group.attributes.get("group.year_group")
                record: dict[str, object] = {
                    "sourcedId": self._course_id(group),
                    "status": "active",
                    "dateLastModified": stable,
                    "title": course_title(text(year)) if year else "Algemeen",
                    "courseCode": text(year) if year else "algemeen",
                    "org": self.org_ref(school),
                }
                if school in years:
                    record["schoolYear"] = self._session_ref(f"schoolyear-{years[school]}")
                metadata: dict[str, object] = {}
                year_group_fields(metadata, record, year)
                if metadata:
                    record["metadata"] = metadata
                items.append(Item(record, release, None, frozenset({school})))
        return _unique(items)

    # classes ----------------------------------------------------------------------------------
    def classes(self) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            years = {
                school_sourced_id(s.brin, s.location_code): s.school_year for s in release.schools
            }
            for group in release.groups:
                school = school_sourced_id(group.school_brin, group.school_location_code)
                term = f"term-{years.get(school, '')}"
                withheld: list[str] = []
                record: dict[str, object] = {
                    "sourcedId": group.pseudonym,
                    "status": "active",
                    "dateLastModified": timestamp(group.updated_at),
                    "title": required(group.attributes.get("group.name"), "title", withheld),
                    "course": self._ref("courses", "course", self._course_id(group)),
                    "school": self.org_ref(school),
                    "terms": [self._session_ref(term)],
                }
                metadata: dict[str, object] = {}
                if group.attributes.get("group.kind"):  # only when released (ADR 0048)
                    kind = text(group.attributes["group.kind"])
                    record["classType"] = "homeroom" if kind == "class_group" else "scheduled"
                    metadata["nl.groupKind"] = kind
                if group.attributes.get("group.name"):
                    record["classCode"] = text(group.attributes["group.name"])
                year_group_fields(metadata, record, group.attributes.get("group.year_group"))
                if withheld:
                    metadata["nl.withheld"] = withheld
                if metadata:
                    record["metadata"] = metadata
                links = {school, self._course_id(group), term}  # members link to their classes
                items.append(Item(record, release, None, frozenset(links)))
        return _unique(items)

    # people -----------------------------------------------------------------------------------
    def users(
        self, kinds: Iterable[PersonKind] = tuple(PersonKind), *, departed: bool = False
    ) -> list[Item]:
        wanted = frozenset(kinds)
        items: list[Item] = []
        for release in self.releases:
            known = {g.pseudonym for g in release.groups}
            for person in release.people:
                if person.kind in wanted:
                    items.append(self._user(release, person, known))
            if departed:
                items.extend(
                    self._departed_user(release, gone)
                    for gone in release.departed
                    if gone.kind in wanted
                )
        return _unique(items)

    def _user(self, release: Release, person: ReleasedPerson, groups: set[str]) -> Item:
        school = school_sourced_id(person.school_brin, person.school_location_code)
        classes = frozenset(g for g in person.group_pseudonyms if g in groups)
        build = partial(self._user_record, release, person)
        return Item(build, release, person.person_id, classes | {school}, key=person.pseudonym)

    def _user_record(self, release: Release, person: ReleasedPerson) -> dict[str, object]:
        prefix = person.kind.value
        attrs = {
            key.split(".", 1)[1]: value
            for key, value in person.attributes.items()
            if key.startswith(prefix + ".")
        }
        school = school_sourced_id(person.school_brin, person.school_location_code)
        role = "student" if person.kind is PersonKind.STUDENT else "teacher"
        withheld: list[str] = []
        record: dict[str, object] = {
            "sourcedId": person.pseudonym,
            "status": "active",
            "dateLastModified": timestamp(person.updated_at or release.at),
            "enabledUser": "true",
            "givenName": required(attrs.get("given_name"), "givenName", withheld),
            "familyName": required(attrs.get("family_name"), "familyName", withheld),
            "roles": [{"roleType": "primary", "role": role, "org": self.org_ref(school)}],
            "primaryOrg": self.org_ref(school),
        }
        metadata: dict[str, object] = {
            name: text(attrs[key])
            for key, name in _PERSON_METADATA.items()
            if attrs.get(key) is not None
        }
        for key, name in (
            ("username", "username"),
            ("email", "email"),
            ("source_key", "identifier"),
        ):
            if attrs.get(key) is not None:
                record[name] = text(attrs[key])
        if attrs.get("eckid") is not None:
            record["userIds"] = [{"type": "eckid", "identifier": text(attrs["eckid"])}]
        year_group_fields(metadata, record, attrs.get("year_group"))
        if withheld:
            metadata["nl.withheld"] = withheld
        if metadata:
            record["metadata"] = metadata
        return record

    def _departed_user(self, release: Release, gone: DepartedPerson) -> Item:
        """Someone who left the release: identity and role only, never their names (ADR 0044)."""
        role = "student" if gone.kind is PersonKind.STUDENT else "teacher"
        board = self.org_ref(board_sourced_id(release))
        record: dict[str, object] = {
            "sourcedId": gone.pseudonym,
            "status": "tobedeleted",
            "dateLastModified": timestamp(gone.left_at),
            "metadata": {"nl.withheld": ["givenName", "familyName"]},
            "enabledUser": "false",
            "givenName": WITHHELD,
            "familyName": WITHHELD,
            "roles": [{"roleType": "primary", "role": role, "org": board}],
        }
        return Item(record, release, gone.person_id, frozenset())

    def enrollments(self) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            groups = {g.pseudonym: g for g in release.groups}
            for person in release.people:
                for pseudonym in person.group_pseudonyms:
                    group = groups.get(pseudonym)
                    if group is not None:
                        items.append(self._enrollment(release, person, group))
        return _unique(items)

    def _enrollment(self, release: Release, person: ReleasedPerson, group: ReleasedGroup) -> Item:
        school = school_sourced_id(group.school_brin, group.school_location_code)
        student = person.kind is PersonKind.STUDENT
        record: dict[str, object] = {
            "sourcedId": f"{group.pseudonym}-{person.pseudonym}",
            "status": "active",
            "dateLastModified": timestamp(max(group.updated_at, person.updated_at or release.at)),
            "user": self._ref("users", "user", person.pseudonym),
            "class": self._ref("classes", "class", group.pseudonym),
            "school": self.org_ref(school),
            "role": "student" if student else "teacher",
            # Strict clients expect it on every enrollment; a student is never the primary.
            "primary": "true"
            if not student and person.group_roles.get(group.pseudonym)
            else "false",
        }
        links = frozenset({school, group.pseudonym, person.pseudonym})
        return Item(record, release, person.person_id, links)

    def demographics(self, *, departed: bool = False) -> list[Item]:
        items: list[Item] = []
        for release in self.releases:
            if not release.attribute_ids & DEMOGRAPHIC_ATTRIBUTES:
                continue
            for person in release.students:
                record: dict[str, object] = {
                    "sourcedId": person.pseudonym,
                    "status": "active",
                    "dateLastModified": timestamp(person.updated_at or release.at),
                }
                if person.attributes.get("student.birth_date") is not None:
                    record["birthDate"] = text(person.attributes["student.birth_date"])
                sex = person.attributes.get("student.sex")
                if sex is not None:
                    record["sex"] = _SEX.get(text(sex), "other")
                items.append(Item(record, release, person.person_id, frozenset()))
            if departed:
                items.extend(
                    Item(
                        {
                            "sourcedId": g.pseudonym,
                            "status": "tobedeleted",
                            "dateLastModified": timestamp(g.left_at),
                        },
                        release,
                        g.person_id,
                        frozenset(),
                    )
                    for g in release.departed
                    if g.kind is PersonKind.STUDENT
                )
        return _unique(items)


def _unique(items: Iterable[Item]) -> list[Item]:
    """First record per sourcedId: a provider's connections may overlap (same board, same year)."""
    seen: set[object] = set()
    unique: list[Item] = []
    for item in items:
        if item.key not in seen:
            seen.add(item.key)
            unique.append(item)
    return unique


def people_of(items: Iterable[Item]) -> Mapping[uuid.UUID, frozenset[uuid.UUID]]:
    """Per connection, the internal ids of the people in ``items`` (what the ledger records)."""
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    for item in items:
        if item.person_id is not None:
            found.setdefault(item.release.connection_id, set()).add(item.person_id)
    return {connection: frozenset(people) for connection, people in found.items()}
