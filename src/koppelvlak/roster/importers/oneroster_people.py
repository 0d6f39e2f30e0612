"""OneRoster ``users.csv`` rows to student, staff and guardian records.

``oneroster_map`` decides which role a user has at which school; this module turns one user
row into one record: names (with the Dutch name prefix in ``middleName``), the ``metadata.nl.*``
columns OneRoster has no field for, and the length limits of the roster columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from koppelvlak.roster.importers.snapshot import GuardianRecord, StaffRecord, StudentRecord
from koppelvlak.roster.importers.values import check_length, parse_date

Warn = Callable[[str, str], None]
Demographics = tuple[date | None, str | None]

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


def _names(data: dict[str, str], where: str, warn: Warn) -> dict[str, Any]:
    prefix = data.get("metadata.nl.namePrefix", data["middleName"]) or None
    if prefix is not None and len(prefix) > 10:
        warn("middleName longer than 10 characters is not a Dutch name prefix; not stored", where)
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


def student_record(
    user: str, data: dict[str, str], where: str, demographics: Demographics, warn: Warn
) -> StudentRecord:
    """A ``users.csv`` row with the student role, with its demographics row (if any)."""
    birth, sex = demographics
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
        **_names(data, where, warn),
        **_metadata(data, STUDENT_METADATA, where),
    )


def staff_record(user: str, data: dict[str, str], where: str, role: str, warn: Warn) -> StaffRecord:
    """A ``users.csv`` row with a staff role; the role names the job unless metadata does."""
    values = _metadata(data, STAFF_METADATA, where)
    if "metadata.nl.roleDescription" not in data:
        values["role_description"] = role
    eckid = check_length(
        data["userMasterIdentifier"], 256, where=where, what="userMasterIdentifier"
    )
    return StaffRecord(
        key=check_length(user, 256, where=where, what="sourcedId"),
        eckid=eckid or None,
        **_names(data, where, warn),
        **values,
    )


def guardian_record(user: str, data: dict[str, str], where: str, warn: Warn) -> GuardianRecord:
    """A ``users.csv`` row with a guardian role (parent, guardian, relative)."""
    names = _names(data, where, warn)
    return GuardianRecord(
        key=user,
        family_name=names["family_name"],
        name_prefix=names["name_prefix"],
        given_name=names["given_name"],
        email=names["email"],
        phone=check_length(data["phone"], 32, where=where, what="phone") or None,
    )
