"""What the retention purge would remove now: people, results and ledger payloads past retention.

Each purpose carries a retention period (catalogue). A person goes when their enrolment ended
(a student's ``enrolment_end``, else the day the LAS stopped sending them) longer ago than the
longest retention of the purposes that apply to them (``rights.applicable``); with no purpose,
on the day after it ended. A guardian goes with their last child. A result goes when it was
taken longer ago than its connection's purpose keeps it. Ledger entries older than the longest
retention of any of the board's purposes are reduced to their non-personal form. Whatever a
legal hold covers stays, and while any hold stands the ledger is left whole (ADRs 0117, 0118).

``find`` is pure reading: the dry run shows it, a plan stores its fingerprint, the run finds
the same again and refuses when it moved.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.audit.models import Entry, Payload
from koppelvlak.connections.models import Connection
from koppelvlak.kit.clock import as_utc
from koppelvlak.providers.models import DatasetVersion
from koppelvlak.results.models import ResultScore
from koppelvlak.rights import applicable, holds
from koppelvlak.rights.applicable import SubjectKind
from koppelvlak.roster.models import Guardian, Guardianship, Staff, Student


@dataclass(frozen=True)
class PersonToGo:
    person_id: uuid.UUID
    kind: SubjectKind
    ended_on: date
    kept_until: date  # the last day of the longest retention that applies
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class ResultToGo:
    result_id: uuid.UUID
    purpose_code: str | None
    taken_on: date
    kept_until: date


@dataclass(frozen=True)
class HeldBack:
    person_id: uuid.UUID
    hold_id: uuid.UUID


@dataclass(frozen=True)
class Findings:
    board_id: uuid.UUID
    as_of: datetime
    people: tuple[PersonToGo, ...]
    results: tuple[ResultToGo, ...]
    ledger_before: datetime | None  # entries recorded before this lose their payload
    ledger_entries: int
    held: tuple[HeldBack, ...]

    @property
    def empty(self) -> bool:
        return not (self.people or self.results or self.ledger_entries)

    @property
    def counts(self) -> dict[str, int]:
        kinds = [p.kind.value for p in self.people]
        return {
            "student": kinds.count("student"),
            "staff": kinds.count("staff"),
            "guardian": kinds.count("guardian"),
            "result_score": len(self.results),
            "ledger_entries": self.ledger_entries,
            "held": len(self.held),
        }

    @property
    def fingerprint(self) -> str:
        """A digest of exactly what would go; the run refuses when it differs from the plan's."""
        lines = [f"p {p.kind} {p.person_id}" for p in self.people]
        lines += [f"r {r.result_id}" for r in self.results]
        cut = self.ledger_before.isoformat() if self.ledger_before else "-"
        lines.append(f"l {cut} {self.ledger_entries}")
        return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def _kept_until(ended_on: date, purposes: Iterable[str], retention: dict[str, str]) -> date:
    periods = [retention[p] for p in purposes if p in retention]
    return max((applicable.retention_ends(ended_on, r) for r in periods), default=ended_on)


def _ended(enrolment_end: date | None, removed_at: datetime | None) -> date | None:
    if enrolment_end is not None:
        return enrolment_end
    return None if removed_at is None else as_utc(removed_at).date()


def _pupils_and_staff(
    session: Session, board_id: uuid.UUID
) -> list[tuple[uuid.UUID, SubjectKind, uuid.UUID, date]]:
    """(id, kind, school, ended_on) of everyone on the board whose enrolment ended."""
    students = session.execute(
        select(Student.id, Student.school_id, Student.enrolment_end, Student.removed_at).where(
            Student.board_id == board_id,
            (Student.enrolment_end.is_not(None)) | (Student.removed_at.is_not(None)),
        )
    ).all()
    staff = session.execute(
        select(Staff.id, Staff.school_id, Staff.removed_at).where(
            Staff.board_id == board_id, Staff.removed_at.is_not(None)
        )
    ).all()
    found = []
    for person, school, end, removed in students:
        ended = _ended(end, removed)
        if ended is not None:
            found.append((person, SubjectKind.STUDENT, school, ended))
    for person, school, removed in staff:
        if removed is not None:
            found.append((person, SubjectKind.STAFF, school, as_utc(removed).date()))
    return found


def _guardians_to_go(
    session: Session, board_id: uuid.UUID, going: set[uuid.UUID], today: date
) -> list[PersonToGo]:
    """Guardians whose every child goes now, or who have none left and were removed."""
    children: dict[uuid.UUID, set[uuid.UUID]] = {}
    for guardian, student in session.execute(
        select(Guardianship.guardian_id, Guardianship.student_id).where(
            Guardianship.board_id == board_id
        )
    ).all():
        children.setdefault(guardian, set()).add(student)
    found = []
    for guardian, removed in session.execute(
        select(Guardian.id, Guardian.removed_at).where(Guardian.board_id == board_id)
    ).all():
        kids = children.get(guardian, set())
        if kids and kids <= going:
            found.append(PersonToGo(guardian, SubjectKind.GUARDIAN, today, today, ()))
        elif not kids and removed is not None and as_utc(removed).date() < today:
            ended = as_utc(removed).date()
            found.append(PersonToGo(guardian, SubjectKind.GUARDIAN, ended, ended, ()))
    return found


def _result_purposes(session: Session, board_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(Connection.id, DatasetVersion.purpose_code)
        .join(DatasetVersion, DatasetVersion.id == Connection.dataset_version_id)
        .where(Connection.board_id == board_id)
    ).all()
    return dict(rows)


def _results(
    session: Session,
    board_id: uuid.UUID,
    *,
    today: date,
    retention: dict[str, str],
    spared: set[uuid.UUID],
    held_purposes: set[str],
) -> list[ResultToGo]:
    purposes = _result_purposes(session, board_id)
    longest = max(retention.values(), key=lambda r: applicable.retention_ends(today, r))
    found = []
    for result, connection, student, taken in session.execute(
        select(
            ResultScore.id, ResultScore.connection_id, ResultScore.student_id, ResultScore.taken_on
        ).where(ResultScore.board_id == board_id)
    ).all():
        purpose = purposes.get(connection)
        if student in spared or purpose in held_purposes:
            continue
        # A result whose connection is gone is kept as long as the longest purpose would.
        until = applicable.retention_ends(taken, retention.get(purpose or "", longest))
        if until < today:
            found.append(ResultToGo(result, purpose, taken, until))
    return sorted(found, key=lambda r: str(r.result_id))


def _ledger(
    session: Session, board_id: uuid.UUID, today: date, retention: dict[str, str], holding: bool
) -> tuple[datetime | None, int]:
    codes = set(applicable.school_purposes(session, board_id).values())
    used = {code for group in codes for code in group}
    if holding or not used:
        return None, 0
    cut_day = min(applicable.retention_starts(today, retention[c]) for c in used if c in retention)
    cutoff = datetime.combine(cut_day, time(), tzinfo=UTC)
    count = session.scalar(
        select(func.count())
        .select_from(Payload)
        .join(Entry, (Entry.board_id == Payload.board_id) & (Entry.sequence == Payload.sequence))
        .where(Payload.board_id == board_id, Entry.recorded_at < cutoff, Payload.salt.is_not(None))
    )
    return cutoff, int(count or 0)


def find(session: Session, board_id: uuid.UUID, as_of: datetime) -> Findings:
    """Exactly what a purge at ``as_of`` would remove, and who a hold keeps (nothing changes)."""
    as_of = as_utc(as_of)
    today = as_of.date()
    retention = applicable.retention_of(session)
    per_school = {
        kind: applicable.school_purposes(session, board_id, kind)
        for kind in (SubjectKind.STUDENT, SubjectKind.STAFF)
    }
    standing = holds.standing(session, board_id, as_of)
    by_person = {h.person_id: h for h in standing if h.person_id is not None}
    held_purposes = {h.purpose_code: h for h in standing if h.purpose_code is not None}
    people: list[PersonToGo] = []
    kept_back: list[HeldBack] = []
    for person, kind, school, ended in _pupils_and_staff(session, board_id):
        purposes = tuple(sorted(per_school[kind].get(school, ())))
        until = _kept_until(ended, purposes, retention)
        if until >= today:
            continue
        hold = by_person.get(person) or next(
            (held_purposes[p] for p in purposes if p in held_purposes), None
        )
        if hold is not None:
            kept_back.append(HeldBack(person, hold.id))
            continue
        people.append(PersonToGo(person, kind, ended, until, purposes))
    going = {p.person_id for p in people}
    for guardian in _guardians_to_go(session, board_id, going, today):
        if guardian.person_id in by_person:
            kept_back.append(HeldBack(guardian.person_id, by_person[guardian.person_id].id))
        else:
            people.append(guardian)
    spared = going | set(by_person)
    results = _results(
        session,
        board_id,
        today=today,
        retention=retention,
        spared=spared,
        held_purposes=set(held_purposes),
    )
    ledger_before, ledger_entries = _ledger(session, board_id, today, retention, bool(standing))
    return Findings(
        board_id=board_id,
        as_of=as_of,
        people=tuple(sorted(people, key=lambda p: (p.kind.value, str(p.person_id)))),
        results=tuple(results),
        ledger_before=ledger_before,
        ledger_entries=ledger_entries,
        held=tuple(sorted(kept_back, key=lambda h: str(h.person_id))),
    )


def document(findings: Findings) -> dict[str, object]:
    """The findings as plain JSON values: what the dry run shows, in the CLI and the API."""
    cut = findings.ledger_before
    return {
        "as_of": findings.as_of.isoformat(),
        "people": [
            {
                "person_id": str(p.person_id),
                "kind": p.kind.value,
                "ended_on": p.ended_on.isoformat(),
                "kept_until": p.kept_until.isoformat(),
                "purposes": list(p.purposes),
            }
            for p in findings.people
        ],
        "results": [
            {
                "result_id": str(r.result_id),
                "purpose": r.purpose_code,
                "taken_on": r.taken_on.isoformat(),
                "kept_until": r.kept_until.isoformat(),
            }
            for r in findings.results
        ],
        "ledger": {
            "recorded_before": None if cut is None else cut.isoformat(),
            "entries": findings.ledger_entries,
        },
        "held": [{"person_id": str(h.person_id), "hold_id": str(h.hold_id)} for h in findings.held],
        "counts": findings.counts,
        "fingerprint": findings.fingerprint,
    }
