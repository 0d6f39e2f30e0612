"""Frozen values an importer hands to the sync: one school's roster as the source system sees it.

Keys are the source system's keys, verbatim strings (``000121`` and ``121`` are two students).
A kind of record comes with a *mode*: ``replace`` (the records are the complete set; missing ones
are removed), ``merge`` (upsert these, remove only ``removed`` keys: a OneRoster delta) or ``keep``
(the source says nothing about this kind; leave it alone).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

R = TypeVar("R")


class Mode(enum.StrEnum):
    REPLACE = "replace"
    MERGE = "merge"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class SchoolYearRecord:
    name: str  # "2024-2025"
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class GroupRecord:
    key: str
    kind: str  # GroupKind value
    name: str
    description: str | None = None
    year_group: str | None = None


@dataclass(frozen=True, slots=True)
class StudentRecord:
    key: str
    eckid: str | None = None
    family_name: str | None = None
    name_prefix: str | None = None
    given_name: str | None = None
    first_names: str | None = None
    initials: str | None = None
    birth_date: date | None = None
    sex: str | None = None  # Sex value
    year_group: str | None = None
    email: str | None = None
    username: str | None = None
    group3_start_date: date | None = None
    enrolment_start: date | None = None
    enrolment_end: date | None = None
    location_key: str | None = None
    photo_url: str | None = None


@dataclass(frozen=True, slots=True)
class StaffRecord:
    key: str
    eckid: str | None = None
    family_name: str | None = None
    name_prefix: str | None = None
    given_name: str | None = None
    first_names: str | None = None
    initials: str | None = None
    email: str | None = None
    username: str | None = None
    role: str | None = None
    role_description: str | None = None


@dataclass(frozen=True, slots=True)
class GuardianRecord:
    key: str
    family_name: str | None = None
    name_prefix: str | None = None
    given_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class StudentLink:
    student_key: str
    group_key: str


@dataclass(frozen=True, slots=True)
class StaffLink:
    staff_key: str
    group_key: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class GuardianLink:
    guardian_key: str
    student_key: str
    relation: str = "parent"


@dataclass(frozen=True, slots=True)
class Part(Generic[R]):
    """One kind of record of a school and how to apply it."""

    mode: Mode = Mode.KEEP
    records: tuple[R, ...] = ()
    removed: frozenset[str] = frozenset()  # merge mode: source keys to remove


@dataclass(frozen=True, slots=True)
class SchoolSnapshot:
    brin: str
    location_code: str
    sector: str  # Sector value
    name: str | None = None  # UWLR carries no school name
    source_key: str | None = None
    school_year: SchoolYearRecord | None = None
    groups: Part[GroupRecord] = field(default_factory=Part)
    students: Part[StudentRecord] = field(default_factory=Part)
    staff: Part[StaffRecord] = field(default_factory=Part)
    student_links: Part[StudentLink] = field(default_factory=Part)
    staff_links: Part[StaffLink] = field(default_factory=Part)
    guardians: Part[GuardianRecord] = field(default_factory=Part)
    guardian_links: Part[GuardianLink] = field(default_factory=Part)
    # Record fields the source does not carry at all: existing values are kept, not cleared.
    absent_fields: frozenset[str] = frozenset()
    # A digest of the source this school was read from (with the reader's version), or None.
    # When a school's last sync applied the same digest and its rows have not moved since, the
    # sync skips it (roster/sync_state.py); None means "always compare".
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one import brings: zero schools (``geengegevens``) or more (OneRoster)."""

    source_kind: str  # "uwlr" | "oneroster"
    source: str
    schools: tuple[SchoolSnapshot, ...]
    warnings: tuple[str, ...] = ()
    guardians: Part[GuardianRecord] = field(default_factory=Part)  # board-wide
    board_hint: str | None = None  # OneRoster district identifier


class Warnings:
    """Collects tolerated deviations; the same kind of deviation is reported once with a count."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._count: Counter[str] = Counter()

    def add(self, what: str, where: str) -> None:
        if what not in self._first:
            self._first[what] = where
        self._count[what] += 1

    def render(self) -> tuple[str, ...]:
        lines = []
        for what, where in self._first.items():
            more = self._count[what] - 1
            suffix = f" (and {more} more)" if more else ""
            lines.append(f"{where}: {what}{suffix}")
        return tuple(lines)
