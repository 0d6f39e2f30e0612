"""The fields each OneRoster 1.2 record type may carry (the official component schemas).

``fields``, ``sort`` and ``filter`` accept exactly these names (plus the aliases, such as the
1.1-style ``role`` on users); anything else is an ``invalid_selection_field`` /
``invalid_filter_field`` error rather than a silent no-op.
"""

from __future__ import annotations

from collections.abc import Mapping

_COMMON = ("sourcedId", "status", "dateLastModified", "metadata")

USER = frozenset(
    (
        *_COMMON,
        "userMasterIdentifier",
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "middleName",
        "preferredFirstName",
        "preferredMiddleName",
        "preferredLastName",
        "pronouns",
        "roles",
        "userProfiles",
        "primaryOrg",
        "identifier",
        "email",
        "sms",
        "phone",
        "agents",
        "grades",
        "password",
        "resources",
    )
)
ORG = frozenset((*_COMMON, "name", "type", "identifier", "parent", "children"))
CLASS = frozenset(
    (
        *_COMMON,
        "title",
        "classCode",
        "classType",
        "location",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
        "resources",
    )
)
ENROLLMENT = frozenset(
    (*_COMMON, "user", "class", "school", "role", "primary", "beginDate", "endDate")
)
ACADEMIC_SESSION = frozenset(
    (*_COMMON, "title", "startDate", "endDate", "type", "parent", "children", "schoolYear")
)
COURSE = frozenset(
    (
        *_COMMON,
        "title",
        "schoolYear",
        "courseCode",
        "grades",
        "subjects",
        "org",
        "subjectCodes",
        "resources",
    )
)
DEMOGRAPHICS = frozenset(
    (
        *_COMMON,
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    )
)

# What the official schemas require of each record: a ``fields`` projection keeps these too,
# so a projected record still validates (strict clients reject it otherwise).
_IDENTITY = ("sourcedId", "status", "dateLastModified")
REQUIRED_USER = (*_IDENTITY, "enabledUser", "givenName", "familyName", "roles")
REQUIRED_ORG = (*_IDENTITY, "name", "type", "identifier")
REQUIRED_CLASS = (*_IDENTITY, "title", "course", "school", "terms")
REQUIRED_ENROLLMENT = (*_IDENTITY, "user", "class", "school", "role")
REQUIRED_ACADEMIC_SESSION = (*_IDENTITY, "title", "startDate", "endDate", "type", "schoolYear")
REQUIRED_COURSE = (*_IDENTITY, "title", "courseCode")
REQUIRED_DEMOGRAPHICS = _IDENTITY

USER_ALIASES: Mapping[str, str] = {"role": "roles.role", "orgSourcedIds": "roles.org"}
NO_ALIASES: Mapping[str, str] = {}


def filterable(fields: frozenset[str], aliases: Mapping[str, str]) -> frozenset[str]:
    return fields | frozenset(aliases)
