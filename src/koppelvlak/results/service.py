"""Use cases for results: store a provider's push, show results to the school, export them.

Students in a push are named by the key the provider received (``release.provider_keys``), so
only students in the connection's current release can get results. The export is for the
school's own LAS: it names students by their LAS key again.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.errors import Conflict, NotFound
from koppelvlak.release.provider_keys import students_by_provider_key
from koppelvlak.release.values import Release
from koppelvlak.results import repository
from koppelvlak.results.errors import UnknownStudent
from koppelvlak.results.models import ResultBatch, ResultScore, ResultTest
from koppelvlak.results.uwlr_xml import write_message
from koppelvlak.results.values import (
    ResultsMessage,
    ResultsSchool,
    Sitting,
    TestDefinition,
    TestResult,
)
from koppelvlak.roster.models import School

EXPORT_XSD_VERSION = "2.2"
CSV_COLUMNS = (
    "brin",
    "location_code",
    "school_year",
    "student_key",
    "eckid",
    "result_key",
    "test_code",
    "test_name",
    "part_code",
    "taken_on",
    "score",
    "skill_score",
    "received_at",
)


@dataclass(frozen=True)
class StoredResults:
    batch_id: uuid.UUID
    results: int
    students: int
    replaced: int


@dataclass(frozen=True)
class ResultRow:
    """One result as the school sees it: its own student key, never the provider's pseudonym."""

    brin: str
    location_code: str
    school_year: str
    student_key: str
    eckid: str | None
    result_key: str
    test_code: str
    test_name: str | None
    part_code: str | None
    taken_on: date
    score: int | None
    skill_score: str | None
    received_at: datetime
    connection_id: uuid.UUID


def store_results(
    session: Session,
    release: Release,
    *,
    brin: str,
    location_code: str,
    message: ResultsMessage,
    received_at: datetime,
) -> StoredResults:
    """Keep a validated push under its connection; re-sent result keys replace earlier ones."""
    keys = students_by_provider_key(release)
    students: dict[int, uuid.UUID] = {}
    for index, sitting in enumerate(message.sittings):
        person = keys.get(sitting.student_key) or (keys.get(sitting.eckid or "") or None)
        if person is None:
            raise UnknownStudent(
                f"leerlingid {sitting.student_key} is not a student this connection "
                f"may see (toetsafname {index + 1})"
            )
        students[index] = person
    result_keys = [r.key for s in message.sittings for r in s.results]
    repository.lock_pushes(session, release.connection_id)
    replaced = repository.delete_scores(session, release.connection_id, result_keys)
    school = message.school
    batch = ResultBatch(
        board_id=release.board_id,
        connection_id=release.connection_id,
        provider_id=release.provider_id,
        brin=brin,
        location_code=location_code,
        school_year=school.school_year,
        created_at_source=school.created_at,
        author=school.author,
        xsd_version=school.xsd_version,
        comment=school.comment,
        received_at=received_at,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        ResultTest(
            board_id=release.board_id, batch_id=batch.id, code=t.code, name=t.name, xml=t.xml
        )
        for t in message.tests
    )
    session.add_all(
        ResultScore(
            board_id=release.board_id,
            batch_id=batch.id,
            connection_id=release.connection_id,
            student_id=students[index],
            provider_student_key=sitting.student_key,
            eckid=sitting.eckid,
            processor_id=sitting.processor_id,
            result_key=result.key,
            taken_on=result.taken_on,
            test_code=result.test_code,
            part_code=result.part_code,
            score=result.score,
            skill_score=result.skill_score,
            xml=result.xml,
        )
        for index, sitting in enumerate(message.sittings)
        for result in sitting.results
    )
    session.flush()
    return StoredResults(batch.id, len(result_keys), len(set(students.values())), replaced)


def board_of_school(session: Session, brin: str, location_code: str = "00") -> uuid.UUID:
    board_id = session.scalar(
        select(School.board_id).where(
            School.brin == brin, School.location_code == location_code, School.removed_at.is_(None)
        )
    )
    if board_id is None:
        raise NotFound(f"no school {brin}-{location_code}")
    return board_id


def list_results(
    session: Session,
    brin: str,
    location_code: str = "00",
    *,
    school_year: str | None = None,
    connection_id: uuid.UUID | None = None,
) -> list[ResultRow]:
    """What providers returned for one school, oldest first."""
    board_id = board_of_school(session, brin, location_code)
    rows = repository.scores(
        session, board_id, brin=brin, location_code=location_code, connection_id=connection_id
    )
    batch_ids = sorted({batch.id for _, batch, _ in rows})
    names = {t.code: t.name for t in repository.tests_for(session, board_id, batch_ids)}
    return [
        ResultRow(
            brin=batch.brin,
            location_code=batch.location_code,
            school_year=batch.school_year,
            student_key=student.source_key,
            eckid=score.eckid,
            result_key=score.result_key,
            test_code=score.test_code,
            test_name=names.get(score.test_code),
            part_code=score.part_code,
            taken_on=score.taken_on,
            score=score.score,
            skill_score=score.skill_score,
            received_at=batch.received_at,
            connection_id=score.connection_id,
        )
        for score, batch, student in rows
        if school_year is None or batch.school_year == school_year
    ]


def export_message(
    session: Session,
    brin: str,
    location_code: str = "00",
    *,
    at: datetime,
    school_year: str | None = None,
    connection_id: uuid.UUID | None = None,
) -> ResultsMessage:
    """The school's results as one UWLR ``leerresultaten_verzoek``, keyed by LAS keys."""
    board_id = board_of_school(session, brin, location_code)
    rows = [
        row
        for row in repository.scores(
            session, board_id, brin=brin, location_code=location_code, connection_id=connection_id
        )
        if school_year is None or row[1].school_year == school_year
    ]
    if not rows:
        raise NotFound(f"no results for school {brin}-{location_code}")
    years = sorted({batch.school_year for _, batch, _ in rows})
    if len(years) > 1:
        raise Conflict(
            f"results span several school years ({', '.join(years)}); choose one with --school-year"
        )
    sittings: dict[uuid.UUID, tuple[str, str | None, str | None, list[TestResult]]] = {}
    for score, _batch, student in rows:
        entry = sittings.setdefault(
            student.id, (student.source_key, score.eckid, score.processor_id, [])
        )
        entry[3].append(_result(score))
    batch_ids = sorted({batch.id for _, batch, _ in rows})
    tests: dict[str, TestDefinition] = {}
    for test in repository.tests_for(session, board_id, batch_ids):
        tests[test.code] = TestDefinition(code=test.code, name=test.name, xml=test.xml)
    used = {score.test_code for score, _, _ in rows}
    return ResultsMessage(
        school=ResultsSchool(
            school_year=years[0],
            brin=brin,
            location_code=location_code,
            schoolkey=None,
            created_at=at,
            author="Koppelvlak",
            xsd_version=EXPORT_XSD_VERSION,
            comment=None,
        ),
        sittings=tuple(
            Sitting(student_key=key, eckid=eckid, processor_id=processor, results=tuple(results))
            for key, eckid, processor, results in sittings.values()
        ),
        tests=tuple(test for code, test in sorted(tests.items()) if code in used),
    )


def _result(score: ResultScore) -> TestResult:
    return TestResult(
        key=score.result_key,
        taken_on=score.taken_on,
        test_code=score.test_code,
        part_code=score.part_code,
        score=score.score,
        skill_score=score.skill_score,
        xml=score.xml,
    )


def export_xml(message: ResultsMessage) -> bytes:
    return etree.tostring(
        write_message(message), xml_declaration=True, encoding="utf-8", pretty_print=True
    )


def export_csv(rows: Iterable[ResultRow]) -> str:
    """CSV for spreadsheets and LAS imports; cells that a spreadsheet would run are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows of an export, as strings per column (the inverse of ``export_csv``)."""
    reader = csv.DictReader(io.StringIO(text))
    return [{k: _uncell(v) for k, v in row.items()} for row in reader]


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else text


def _uncell(text: str) -> str:
    return text[1:] if text[:1] == "'" else text
