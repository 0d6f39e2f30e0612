"""A release as the objects a provider sees: pure, no I/O (the kept release's unit of change).

Each OneRoster object (org, academic session, course, class, user, enrollment, demographics
record) becomes a ``FreshObject``: its rendered record with hrefs relative to the base path, the
sourcedIds it is linked to (for nested routes), the values UWLR answers are rendered from, and a
digest of everything the provider can see of it. The kept release compares digests, so an
object's ``dateLastModified`` moves only when what *this provider* sees of it changes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from koppelvlak.release.oneroster import Item, Renderer, school_sourced_id
from koppelvlak.release.oneroster_formatting import WITHHELD, timestamp
from koppelvlak.release.values import (
    AttributeValue,
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)
# Fields that stay in a tobedeleted record: structure and pseudonymous references, no values.
_TOMBSTONE_FIELDS = {
    "users": ("roles",),
    "enrollments": ("user", "class", "school", "role", "primary"),
    "demographics": (),
    "classes": ("title", "classType", "course", "school", "terms"),
    "courses": ("title", "org"),
    "orgs": ("name", "type"),
    "academicSessions": ("title", "type", "startDate", "endDate", "schoolYear"),
}


@dataclass(frozen=True, slots=True)
class FreshObject:
    collection: str
    key: str
    kind: str
    person_id: uuid.UUID | None
    record: dict[str, object]  # without dateLastModified and status: the kept row adds them
    links: str  # JSON list of sourcedIds
    values: str | None  # JSON for UWLR answers (users, classes, schools)
    digest: str


def dumps(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def body(record: Mapping[str, object], status: str, modified_at: datetime) -> str:
    """The record as sent: ``sourcedId``, ``status`` and ``dateLastModified`` first."""
    head = {
        "sourcedId": record["sourcedId"],
        "status": status,
        "dateLastModified": timestamp(modified_at),
    }
    return dumps({**head, **{k: v for k, v in record.items() if k not in head}})


def tombstone(collection: str, record: Mapping[str, object]) -> dict[str, object]:
    """What a provider still receives of an object that left its release: no personal values."""
    kept: dict[str, object] = {"sourcedId": record["sourcedId"]}
    for name in _TOMBSTONE_FIELDS[collection]:
        if name in record:
            kept[name] = record[name]
    if collection == "users":  # required names: the placeholder, never the names (ADR 0044)
        kept["enabledUser"] = "false"
        kept["givenName"] = kept["familyName"] = WITHHELD
        kept["metadata"] = {"nl.withheld": ["givenName", "familyName"]}
    return kept


def _plain(value: AttributeValue) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def person_values(person: ReleasedPerson) -> dict[str, object]:
    return {
        "id": person.person_id.hex,
        "kind": person.kind.value,
        "pseudonym": person.pseudonym,
        "brin": person.school_brin,
        "location": person.school_location_code,
        "attributes": {a: _plain(v) for a, v in sorted(person.attributes.items())},
        "groups": list(person.group_pseudonyms),
        "roles": dict(sorted(person.group_roles.items())),
    }


def group_values(group: ReleasedGroup) -> dict[str, object]:
    return {
        "id": group.group_id.hex,
        "pseudonym": group.pseudonym,
        "kind": group.kind,
        "brin": group.school_brin,
        "location": group.school_location_code,
        "attributes": {a: _plain(v) for a, v in sorted(group.attributes.items())},
    }


def school_values(school: ReleasedSchool) -> dict[str, object]:
    return {
        "id": school.school_id.hex,
        "brin": school.brin,
        "location": school.location_code,
        "name": school.name,
        "sector": school.sector,
        "school_year": school.school_year,
    }


def _kind(collection: str, record: Mapping[str, Any]) -> str:
    if collection in ("orgs", "academicSessions"):
        return str(record["type"])
    if collection == "users":
        return str(record["roles"][0]["role"])
    if collection == "enrollments":
        return str(record["role"])
    return ""


def _digest(record: Mapping[str, object], values: str | None) -> str:
    text = dumps(record) + "\n" + (values or "")
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def fresh_objects(release: Release) -> dict[tuple[str, str], FreshObject]:
    """Every object of the release, keyed by (collection, sourcedId)."""
    renderer = Renderer("", [release])
    people = {p.pseudonym: dumps(person_values(p)) for p in release.people}
    groups = {g.pseudonym: dumps(group_values(g)) for g in release.groups}
    schools = {
        school_sourced_id(s.brin, s.location_code): dumps(school_values(s)) for s in release.schools
    }
    builders: dict[str, tuple[Callable[[], list[Item]], Mapping[str, str]]] = {
        "orgs": (renderer.orgs, schools),
        "academicSessions": (renderer.academic_sessions, {}),
        "courses": (renderer.courses, {}),
        "classes": (renderer.classes, groups),
        "users": (renderer.users, people),
        "enrollments": (renderer.enrollments, {}),
        "demographics": (renderer.demographics, {}),
    }
    found: dict[tuple[str, str], FreshObject] = {}
    for collection in COLLECTIONS:
        build, values_of = builders[collection]
        for item in build():
            record = {
                k: v for k, v in item.record.items() if k not in ("status", "dateLastModified")
            }
            values = values_of.get(item.key)
            found[(collection, item.key)] = FreshObject(
                collection=collection,
                key=item.key,
                kind=_kind(collection, record),
                person_id=item.person_id,
                record=record,
                links=dumps(sorted(item.links)),
                values=values,
                digest=_digest(record, values),
            )
    return found


def released_person(values: Mapping[str, Any], updated_at: datetime) -> ReleasedPerson:
    """A kept user's values back as the release value UWLR renders."""
    attributes: dict[str, AttributeValue] = {}
    for name, value in values["attributes"].items():
        attributes[name] = (
            date.fromisoformat(value) if name.endswith("birth_date") and value else value
        )
    return ReleasedPerson(
        person_id=uuid.UUID(values["id"]),
        kind=PersonKind(values["kind"]),
        pseudonym=values["pseudonym"],
        school_brin=values["brin"],
        school_location_code=values["location"],
        attributes=attributes,
        group_pseudonyms=tuple(values["groups"]),
        group_roles=dict(values["roles"]),
        updated_at=updated_at,
    )


def released_group(values: Mapping[str, Any], updated_at: datetime) -> ReleasedGroup:
    return ReleasedGroup(
        group_id=uuid.UUID(values["id"]),
        pseudonym=values["pseudonym"],
        kind=values["kind"],
        school_brin=values["brin"],
        school_location_code=values["location"],
        attributes=dict(values["attributes"]),
        updated_at=updated_at,
    )


def released_school(values: Mapping[str, Any]) -> ReleasedSchool:
    return ReleasedSchool(
        school_id=uuid.UUID(values["id"]),
        brin=values["brin"],
        location_code=values["location"],
        name=values["name"],
        sector=values["sector"],
        school_year=values["school_year"],
    )
