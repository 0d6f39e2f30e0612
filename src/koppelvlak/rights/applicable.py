"""Who a person id is on a board, and which purposes (with their retention) apply to them.

Erasure, holds and the retention purge all start from a bare person id. It names a student,
a staff member or a guardian of one board; the purposes that apply to them are those of every
connection, in any state, at a school they belong to (a guardian: their children's schools),
because each such connection may have received their data (ADR 0117).
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.catalogue import service as catalogue
from koppelvlak.connections.models import Connection
from koppelvlak.errors import NotFound
from koppelvlak.providers.models import DatasetVersion
from koppelvlak.roster.models import Guardian, Guardianship, Staff, Student

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class SubjectKind(enum.StrEnum):
    STUDENT = "student"
    STAFF = "staff"
    GUARDIAN = "guardian"


@dataclass(frozen=True)
class Subject:
    """A data subject of one board: the kind of roster row and the schools it belongs to."""

    person_id: uuid.UUID
    board_id: uuid.UUID
    kind: SubjectKind
    school_ids: frozenset[uuid.UUID]


def find_subject(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> Subject | None:
    """The person on this board, or None (unknown, or another board's: both look the same)."""
    student = session.execute(
        select(Student.school_id).where(Student.id == person_id, Student.board_id == board_id)
    ).first()
    if student is not None:
        return Subject(person_id, board_id, SubjectKind.STUDENT, frozenset({student[0]}))
    staff = session.execute(
        select(Staff.school_id).where(Staff.id == person_id, Staff.board_id == board_id)
    ).first()
    if staff is not None:
        return Subject(person_id, board_id, SubjectKind.STAFF, frozenset({staff[0]}))
    guardian = session.scalar(
        select(Guardian.id).where(Guardian.id == person_id, Guardian.board_id == board_id)
    )
    if guardian is None:
        return None
    schools = session.scalars(
        select(Student.school_id)
        .join(Guardianship, Guardianship.student_id == Student.id)
        .where(Guardianship.guardian_id == person_id, Guardianship.board_id == board_id)
    ).all()
    return Subject(person_id, board_id, SubjectKind.GUARDIAN, frozenset(schools))


# The dataset entity type that processes each kind of person; a guardian is processed with
# their children's data.
_ENTITY = {
    SubjectKind.STUDENT: "students",
    SubjectKind.STAFF: "staff",
    SubjectKind.GUARDIAN: "students",
}


def school_purposes(
    session: Session, board_id: uuid.UUID, kind: SubjectKind | None = None
) -> dict[uuid.UUID, frozenset[str]]:
    """Per school of the board, the purpose codes of its connections (any state).

    With ``kind``, only connections whose dataset processes that kind of person.
    """
    rows = session.execute(
        select(Connection.school_id, DatasetVersion.purpose_code, DatasetVersion.entity_types)
        .join(DatasetVersion, DatasetVersion.id == Connection.dataset_version_id)
        .where(Connection.board_id == board_id)
    ).all()
    found: dict[uuid.UUID, set[str]] = {}
    for school_id, code, entity_types in rows:
        if kind is None or _ENTITY[kind] in entity_types.split(","):
            found.setdefault(school_id, set()).add(code)
    return {school: frozenset(codes) for school, codes in found.items()}


def purposes_of(session: Session, subject: Subject) -> frozenset[str]:
    per_school = school_purposes(session, subject.board_id, subject.kind)
    return frozenset(code for s in subject.school_ids for code in per_school.get(s, ()))


def retention_of(session: Session) -> dict[str, str]:
    """Every purpose's retention period (ISO 8601 duration), by purpose code."""
    return {code: p.retention for code, p in catalogue.purposes(session).items()}


def _parts(duration: str) -> tuple[int, int]:
    """(months, days) of an ISO 8601 duration, weeks counted as seven days."""
    match = _DURATION.match(duration)
    if match is None or not any(match.groups()):
        raise ValueError(f"retention {duration!r} is not an ISO 8601 duration")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return years * 12 + months, weeks * 7 + days


def _add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, _days_in_month(year, month + 1)))


def retention_ends(start: date, duration: str) -> date:
    """``start`` + ``duration`` (P1Y, P6M, P2W, P30D, combined): the day retention ends."""
    months, days = _parts(duration)
    return _add_months(start, months) + timedelta(days=days)


def retention_starts(end: date, duration: str) -> date:
    """``end`` − ``duration``: what is older than this is past retention on ``end``."""
    months, days = _parts(duration)
    return _add_months(end - timedelta(days=days), -months)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


class UnknownPerson(NotFound):
    title = "Person not found"


def subject(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> Subject:
    """The person, or 404: an unknown id and another board's id answer alike."""
    found = find_subject(session, board_id, person_id)
    if found is None:
        raise UnknownPerson(f"no student, staff member or guardian with id {person_id} here")
    return found
