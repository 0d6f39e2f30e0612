"""The state of one OneRoster package being mapped, and how its references resolve.

``oneroster_map`` fills a ``Build`` file by file. A reference to a school, class or user the
package does not carry (a delta whose manifest marks ``orgs``, ``classes`` or ``roles`` absent,
as real delta exports do) resolves here against what the roster stores (``oneroster_stored``),
read once and only when such a reference appears; a bulk file stays the complete truth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass, field, replace
from datetime import date

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.oneroster_csv import Reader
from koppelvlak.roster.importers.oneroster_people import (
    guardian_record,
    staff_record,
    student_record,
)
from koppelvlak.roster.importers.oneroster_stored import Lookup, Stored, nothing_stored
from koppelvlak.roster.importers.snapshot import (
    GroupRecord,
    GuardianRecord,
    SchoolYearRecord,
    StaffLink,
    StaffRecord,
    StudentLink,
    StudentRecord,
)


@dataclass
class SchoolDraft:
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
class Build:
    reader: Reader
    lookup: Lookup = nothing_stored
    stored_value: Stored | None = None
    schools: dict[str, SchoolDraft] = field(default_factory=dict)
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

    @property
    def stored(self) -> Stored:
        """What the roster holds, read on the first reference the package does not carry."""
        if self.stored_value is None:
            self.stored_value = self.lookup()
        return self.stored_value

    def school(self, key: str) -> SchoolDraft | None:
        """The school with this org sourcedId: from the package, else as stored."""
        found = self.schools.get(key)
        if found is not None or not key or self.reader.modes.get("orgs") == "bulk":
            return found
        stored = self.stored.schools.get(key)
        if stored is None:
            return None
        found = SchoolDraft(stored.key, stored.brin, stored.location, stored.name, stored.sector)
        self.schools[key] = found
        return found

    def unknown_school(self, column: str, key: str) -> str:
        if self.reader.modes.get("orgs") == "bulk":
            return f"{column} {key!r} is not a school in orgs.csv; expected a school org"
        board = self.stored.board
        stored = f"a stored school of board {board}" if board else "a stored school"
        hint = "" if board else " (name the board with --board)"
        return (
            f"{column} {key!r} is neither a school in orgs.csv nor {stored}; expected the "
            f"sourcedId of a school org in the package or imported before{hint}"
        )

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


def stored_places(build: Build) -> None:
    """Users a delta changes or removes without a roles row stay where the roster has them."""
    for user, data in build.users.items():
        if user in build.roles:
            continue
        if user not in build.deleted_users and user in build.stored.guardians:
            build.guardians[user] = guardian_record(user, data, build.user_at[user], build.warn)
        for place in build.stored.people.get(user, ()):
            school = build.school(place.school)
            if school is None:
                continue
            if user in build.deleted_users:
                school.removed_people.add(user)
            elif place.kind == "student":
                demographics = build.demographics.get(user, (None, None))
                where = build.user_at[user]
                school.students[user] = student_record(user, data, where, demographics, build.warn)
            else:
                record = staff_record(user, data, build.user_at[user], "", build.warn)
                if "metadata.nl.roleDescription" not in data:
                    record = replace(record, role_description=place.role)
                school.staff[user] = record
