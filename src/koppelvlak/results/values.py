"""A results message as frozen values: what ``uwlr_xml`` reads and writes, and the service stores.

Each ``resultaat`` and ``toets`` keeps its exact validated XML (``xml``) beside the columns the
school queries (key, date, test code, score), so the export to the school's LAS gives back
what the provider sent — vocabularies, OSO scores and norms included — with only the student
key changed to the school's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ResultsSchool:
    school_year: str
    brin: str | None
    location_code: str
    schoolkey: str | None
    created_at: datetime
    author: str | None
    xsd_version: str
    comment: str | None


@dataclass(frozen=True)
class TestResult:
    key: str
    taken_on: date
    test_code: str
    part_code: str | None
    score: int | None  # the plain ``score``; OSO results carry theirs in ``xml``
    skill_score: str | None  # osoresultaat/toetsscore/vaardigheidsscore, if any
    xml: str


@dataclass(frozen=True)
class Sitting:
    """One ``toetsafname``: the results of one student."""

    student_key: str  # leerlingid: the key the provider received
    eckid: str | None
    processor_id: str | None
    results: tuple[TestResult, ...]


@dataclass(frozen=True)
class TestDefinition:
    code: str
    name: str | None
    xml: str


@dataclass(frozen=True)
class ResultsMessage:
    school: ResultsSchool
    sittings: tuple[Sitting, ...]
    tests: tuple[TestDefinition, ...]
