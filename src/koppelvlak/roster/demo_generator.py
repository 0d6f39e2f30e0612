"""Row generator for the demo board: seeded people, groups and memberships as plain dicts.

Kept apart from ``demo.py`` (which writes the rows) so the generator can be read, and
benchmarked, without a database.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from koppelvlak.kit.clock import utcnow
from koppelvlak.roster.demo_names import FAMILY_NAMES, GIVEN_NAMES, SUBJECTS
from koppelvlak.roster.models import GroupKind, Sector, Sex
from koppelvlak.roster.personas import PERSONAS, Persona

PRIMARY = ("99XX", "00", "Basisschool De Regenboog")
SECONDARY = ("99YY", "00", "Lyceum Het Baken")
GROUP_SIZE = 27


@dataclass
class Rows:
    schools: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    students: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    guardians: list[dict[str, Any]] = field(default_factory=list)
    guardianships: list[dict[str, Any]] = field(default_factory=list)
    student_memberships: list[dict[str, Any]] = field(default_factory=list)
    staff_memberships: list[dict[str, Any]] = field(default_factory=list)


class Generator:
    """Builds the rows of one demo board from a seed."""

    def __init__(self, board_id: uuid.UUID, students: int, seed: int, school_year: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
        self.board_id = board_id
        self.students = students
        self.start_year = int(school_year[:4])
        self.now = utcnow()
        self.rows = Rows()
        self.personas: list[Persona] = list(PERSONAS)
        self._taken: dict[str, int] = {}  # address -> times used, for a numbered duplicate

    def address(self, given: str, prefix: str | None, family: str, domain: str) -> str:
        """``given.family@domain`` from the name alone: never the LAS or school keys.

        A second person with the same name gets ``given.family2``; the order of generation is
        fixed by the seed, so the demo stays deterministic.
        """
        local = f"{_slug(given)}.{_slug((prefix or '') + family)}"
        count = self._taken.get(f"{local}@{domain}", 0) + 1
        self._taken[f"{local}@{domain}"] = count
        return f"{local}{count if count > 1 else ''}@{domain}"

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def stamp(self, row: dict[str, Any]) -> dict[str, Any]:
        row.update(board_id=self.board_id, created_at=self.now, updated_at=self.now)
        return row

    def build(self, school_year_id: uuid.UUID) -> Rows:
        primary_share = max(1, round(self.students * 0.6)) if self.students > 1 else self.students
        primary = self._school(PRIMARY, Sector.PO)
        secondary = self._school(SECONDARY, Sector.VO)
        self._fill(primary, range(1, 9), primary_share, school_year_id, sector=Sector.PO)
        self._fill(
            secondary, range(11, 17), self.students - primary_share, school_year_id, Sector.VO
        )
        return self.rows

    def _school(self, spec: tuple[str, str, str], sector: Sector) -> uuid.UUID:
        school_id = self.uid()
        brin, location, name = spec
        self.rows.schools.append(
            self.stamp(
                {
                    "id": school_id,
                    "brin": brin,
                    "location_code": location,
                    "name": name,
                    "sector": sector,
                }
            )
        )
        return school_id

    def _fill(
        self,
        school_id: uuid.UUID,
        year_groups: range,
        count: int,
        school_year_id: uuid.UUID,
        sector: Sector,
    ) -> None:
        if count <= 0:
            return
        per_year = _spread(count, len(year_groups))
        for year_group, in_year in zip(year_groups, per_year, strict=True):
            classes = max(1, -(-in_year // GROUP_SIZE))
            sizes = _spread(in_year, classes)
            for index, size in enumerate(sizes):
                letter = chr(ord("A") + index)
                label = (
                    f"{year_group}{letter}" if sector is Sector.PO else f"{year_group - 10}{letter}"
                )
                group_id = self._group(school_id, school_year_id, label, str(year_group), sector)
                teacher_id = self._teacher(school_id, "LRK" if sector is Sector.PO else "VAK")
                self._link_staff(teacher_id, group_id, "LRK" if sector is Sector.PO else "mentor")
                teaching = self._teaching_groups(school_id, school_year_id, label, sector)
                for _ in range(size):
                    student_id = self._student(school_id, year_group, sector)
                    self._link_student(student_id, group_id)
                    for teaching_group in teaching:
                        self._link_student(student_id, teaching_group)

    def _group(
        self, school_id: uuid.UUID, school_year_id: uuid.UUID, label: str, year: str, sector: Sector
    ) -> uuid.UUID:
        group_id = self.uid()
        name = f"Groep {label}" if sector is Sector.PO else f"Klas {label}"
        self.rows.groups.append(
            self.stamp(
                {
                    "id": group_id,
                    "school_id": school_id,
                    "school_year_id": school_year_id,
                    "source_key": name,
                    "kind": GroupKind.CLASS_GROUP,
                    "name": name,
                    "description": None,
                    "year_group": year,
                }
            )
        )
        return group_id

    def _teaching_groups(
        self, school_id: uuid.UUID, school_year_id: uuid.UUID, label: str, sector: Sector
    ) -> list[uuid.UUID]:
        """Secondary classes get two subject groups each; primary gets an occasional plus group."""
        made: list[uuid.UUID] = []
        if sector is Sector.VO:
            for subject in self.rng.sample(SUBJECTS, 2):
                made.append(
                    self._extra_group(
                        school_id,
                        school_year_id,
                        f"{label}/{subject}",
                        GroupKind.TEACHING_GROUP,
                        f"{subject} {label}",
                    )
                )
        elif self.rng.random() < 0.25:
            made.append(
                self._extra_group(
                    school_id,
                    school_year_id,
                    f"Plusklas {label}",
                    GroupKind.COMPOSITE_GROUP,
                    "Plusklas",
                )
            )
        return made

    def _extra_group(
        self, school_id: uuid.UUID, school_year_id: uuid.UUID, key: str, kind: GroupKind, desc: str
    ) -> uuid.UUID:
        group_id = self.uid()
        self.rows.groups.append(
            self.stamp(
                {
                    "id": group_id,
                    "school_id": school_id,
                    "school_year_id": school_year_id,
                    "source_key": key,
                    "kind": kind,
                    "name": key[:64],
                    "description": desc,
                    "year_group": None,
                }
            )
        )
        teacher = self._teacher(school_id, "VAK")
        self._link_staff(teacher, group_id, "VAK")
        return group_id

    def _name(self) -> tuple[str, str | None, str]:
        prefix, family = self.rng.choice(FAMILY_NAMES)
        return self.rng.choice(GIVEN_NAMES), prefix or None, family

    def _student(self, school_id: uuid.UUID, year_group: int, sector: Sector) -> uuid.UUID:
        student_id = self.uid()
        persona = self._take_persona(year_group)
        given, prefix, family = (
            (persona.given_name, persona.name_prefix, persona.family_name)
            if persona
            else self._name()
        )
        # Primary group g: age g+3 or g+4 on 1 October; secondary year v continues after group 8.
        age_index = year_group if sector is Sector.PO else year_group - 2
        first_day = date(self.start_year - age_index - 4, 10, 1)
        birth = first_day + timedelta(days=self.rng.randrange(365))
        source_key = persona.source_key if persona else str(100000 + len(self.rows.students))
        email = self.address(given, prefix, family, "leerling.demo.koppelvlak.nl")
        self.rows.students.append(
            self.stamp(
                {
                    "id": student_id,
                    "school_id": school_id,
                    "source_key": source_key,
                    "eckid": self._eckid() if self.rng.random() < 0.7 else None,
                    "family_name": family,
                    "name_prefix": prefix,
                    "given_name": given,
                    "first_names": given,
                    "initials": f"{given[0]}.",
                    "birth_date": birth,
                    "sex": self.rng.choice(
                        (Sex.MALE, Sex.FEMALE, Sex.FEMALE, Sex.MALE, Sex.UNSPECIFIED)
                    ),
                    "year_group": str(year_group),
                    "email": email if sector is Sector.VO else None,
                    "username": email.split("@", 1)[0],
                    "group3_start_date": None,
                    "enrolment_start": date(self.start_year, 8, 15)
                    - timedelta(days=365 * (age_index % 8)),
                    "enrolment_end": None,
                    "removed_at": None,
                }
            )
        )
        self._guardians(student_id, prefix, family)
        return student_id

    def _take_persona(self, year_group: int) -> Persona | None:
        for persona in self.personas:
            if persona.year_group == str(year_group):
                self.personas.remove(persona)
                return persona
        return None

    def _eckid(self) -> str:
        return "https://ketenid.nl/201703/" + f"{self.rng.getrandbits(256):064x}"

    def _guardians(self, student_id: uuid.UUID, prefix: str | None, family: str) -> None:
        for relation in ("parent", "parent")[: self.rng.choice((1, 2, 2))]:
            guardian_id = self.uid()
            key = f"V{len(self.rows.guardians) + 1:07d}"
            given, other_prefix, other_family = self._name()
            same = self.rng.random() < 0.6
            self.rows.guardians.append(
                self.stamp(
                    {
                        "id": guardian_id,
                        "source_key": key,
                        "family_name": family if same else other_family,
                        "name_prefix": prefix if same else other_prefix,
                        "given_name": given,
                        "email": self.address(
                            given,
                            prefix if same else other_prefix,
                            family if same else other_family,
                            "ouder.demo.koppelvlak.nl",
                        ),
                        "phone": None,
                        "removed_at": None,
                    }
                )
            )
            self.rows.guardianships.append(
                self.stamp(
                    {
                        "id": self.uid(),
                        "guardian_id": guardian_id,
                        "student_id": student_id,
                        "relation": relation,
                        "removed_at": None,
                    }
                )
            )

    def _teacher(self, school_id: uuid.UUID, role: str) -> uuid.UUID:
        staff_id = self.uid()
        given, prefix, family = self._name()
        key = f"M{len(self.rows.staff) + 1:05d}"
        email = self.address(given, prefix, family, "demo.koppelvlak.nl")
        self.rows.staff.append(
            self.stamp(
                {
                    "id": staff_id,
                    "school_id": school_id,
                    "source_key": key,
                    "eckid": self._eckid(),
                    "family_name": family,
                    "name_prefix": prefix,
                    "given_name": given,
                    "first_names": given,
                    "initials": f"{given[0]}.",
                    "email": email,
                    "username": email.split("@", 1)[0],
                    "role": role,
                    "role_description": None,
                    "removed_at": None,
                }
            )
        )
        return staff_id

    def _link_student(self, student_id: uuid.UUID, group_id: uuid.UUID) -> None:
        self.rows.student_memberships.append(
            self.stamp(
                {
                    "id": self.uid(),
                    "student_id": student_id,
                    "group_id": group_id,
                    "removed_at": None,
                }
            )
        )

    def _link_staff(self, staff_id: uuid.UUID, group_id: uuid.UUID, role: str) -> None:
        self.rows.staff_memberships.append(
            self.stamp(
                {
                    "id": self.uid(),
                    "staff_id": staff_id,
                    "group_id": group_id,
                    "role": role,
                    "removed_at": None,
                }
            )
        )


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: ``Noël`` → ``noel``, ``van Dijk`` → ``vandijk``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", plain.lower()) or "x"
