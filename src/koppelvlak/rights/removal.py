"""Removing one person's data from every table that holds it: shared by erasure and the purge.

One function, ``remove_person``, so a request's erasure and the retention purge cannot drift
apart: the roster rows (the person, their memberships and guardianships), the change log of
those rows, import messages quoting their keys, connection exceptions and licences, results,
the person's objects in every kept release, lifted holds that name them, their policy
acceptances and guardians' consent requests, the id and address in rights requests, and — through
``audit.service.erase_person`` — their place in the ledger (ADR 0116).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from koppelvlak.accounts.models import ConsentRequest
from koppelvlak.audit import service as audit
from koppelvlak.connections.models import Licence, Objection, ParentalConsent
from koppelvlak.kit import changes
from koppelvlak.policies.models import PolicyAcceptance
from koppelvlak.release import kept_objects
from koppelvlak.release import kept_repository as kept_rows
from koppelvlak.release.models import KeptObject, KeptRelease
from koppelvlak.results.models import ResultScore
from koppelvlak.rights import requests
from koppelvlak.rights.applicable import Subject, SubjectKind
from koppelvlak.rights.holds_models import LegalHold
from koppelvlak.rights.models import RightsRequest
from koppelvlak.roster.models import (
    Guardian,
    Guardianship,
    ImportRun,
    RosterChange,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

ERASED = "[erased]"


def _count_delete(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]  # CursorResult of a DELETE


def _kept_release(session: Session, subject: Subject) -> int:
    """Drop the person's objects (tombstones too) and restate each touched release's counts."""
    where = (KeptObject.board_id == subject.board_id, KeptObject.person_id == subject.person_id)
    touched = session.scalars(select(KeptObject.connection_id).where(*where).distinct()).all()
    removed = _count_delete(session, delete(KeptObject).where(*where))
    for connection_id in touched:
        session.execute(
            update(KeptRelease)
            .where(KeptRelease.connection_id == connection_id)
            .values(
                version=KeptRelease.version + 1,
                counts=kept_objects.dumps(kept_rows.active_counts(session, connection_id)),
            )
        )
    return removed


def _keys(session: Session, subject: Subject) -> list[str]:
    """The person's source keys and ECK iD: what an import message may quote."""
    model: Any = {
        SubjectKind.STUDENT: Student,
        SubjectKind.STAFF: Staff,
        SubjectKind.GUARDIAN: Guardian,
    }[subject.kind]
    columns = [model.source_key] + ([model.eckid] if hasattr(model, "eckid") else [])
    row = session.execute(select(*columns).where(model.id == subject.person_id)).one()
    return [k for k in row if k]


def _scrub_import_messages(session: Session, board_id: uuid.UUID, keys: list[str]) -> int:
    """Replace the person's keys in import warnings, errors and locations by ``[erased]``."""
    if not keys:
        return 0
    pattern = re.compile(
        "|".join(rf"(?<![\w-]){re.escape(k)}(?![\w-])" for k in sorted(keys, key=len, reverse=True))
    )
    runs = session.scalars(
        select(ImportRun).where(
            ImportRun.board_id == board_id,
            or_(
                ImportRun.warnings.is_not(None),
                ImportRun.error.is_not(None),
                ImportRun.location.is_not(None),
            ),
        )
    ).all()
    scrubbed = 0
    for run in runs:
        warnings = [pattern.sub(ERASED, w) for w in run.warnings or []]
        error = None if run.error is None else pattern.sub(ERASED, run.error)
        location = None if run.location is None else pattern.sub(ERASED, run.location)
        if (warnings, error, location) != (run.warnings or [], run.error, run.location):
            run.warnings = warnings if run.warnings is not None else None
            run.error, run.location = error, location
            scrubbed += 1
    return scrubbed


def _links(session: Session, subject: Subject) -> list[uuid.UUID]:
    """Ids of the person's memberships and guardianships (the change log names those)."""
    person = subject.person_id
    if subject.kind is SubjectKind.STUDENT:
        queries = [
            select(StudentMembership.id).where(StudentMembership.student_id == person),
            select(Guardianship.id).where(Guardianship.student_id == person),
        ]
    elif subject.kind is SubjectKind.STAFF:
        queries = [select(StaffMembership.id).where(StaffMembership.staff_id == person)]
    else:
        queries = [select(Guardianship.id).where(Guardianship.guardian_id == person)]
    return [row for query in queries for row in session.scalars(query).all()]


def _roster(session: Session, subject: Subject, links: Iterable[uuid.UUID]) -> dict[str, int]:
    person = subject.person_id
    counts: dict[str, int] = {}
    entities = [person, *links]
    counts["roster_change"] = _count_delete(
        session,
        delete(RosterChange).where(
            RosterChange.board_id == subject.board_id, RosterChange.entity_id.in_(entities)
        ),
    )
    if subject.kind is SubjectKind.STUDENT:
        counts["student_membership"] = _count_delete(
            session, delete(StudentMembership).where(StudentMembership.student_id == person)
        )
        counts["guardianship"] = _count_delete(
            session, delete(Guardianship).where(Guardianship.student_id == person)
        )
        counts["student"] = _count_delete(session, delete(Student).where(Student.id == person))
    elif subject.kind is SubjectKind.STAFF:
        counts["staff_membership"] = _count_delete(
            session, delete(StaffMembership).where(StaffMembership.staff_id == person)
        )
        counts["staff"] = _count_delete(session, delete(Staff).where(Staff.id == person))
    else:
        counts["guardianship"] = _count_delete(
            session, delete(Guardianship).where(Guardianship.guardian_id == person)
        )
        counts["parental_consent"] = _count_delete(  # rows name the guardian who decided
            session,
            update(ParentalConsent)
            .where(
                ParentalConsent.board_id == subject.board_id,
                ParentalConsent.decided_by == f"guardian:{person}",
            )
            .values(decided_by=f"guardian:{ERASED}"),
        )
        counts["guardian"] = _count_delete(session, delete(Guardian).where(Guardian.id == person))
    return counts


def _acceptances(session: Session, subject: Subject) -> int:
    """The person's own policy acceptances go; a guardian's name leaves the children's ones."""
    board, person = subject.board_id, subject.person_id
    session.execute(
        update(PolicyAcceptance)
        .where(PolicyAcceptance.board_id == board, PolicyAcceptance.guardian_id == person)
        .values(guardian_id=None)
    )
    return _count_delete(
        session,
        delete(PolicyAcceptance).where(
            PolicyAcceptance.board_id == board, PolicyAcceptance.subject_id == person
        ),
    )


def _exceptions(session: Session, subject: Subject) -> dict[str, int]:
    board, person = subject.board_id, subject.person_id
    return {
        "policy_acceptance": _acceptances(session, subject),
        "consent_request": _count_delete(  # the mails to guardians about a child
            session,
            delete(ConsentRequest).where(
                ConsentRequest.board_id == board,
                or_(ConsentRequest.student_id == person, ConsentRequest.guardian_id == person),
            ),
        ),
        "result_score": _count_delete(
            session,
            delete(ResultScore).where(
                ResultScore.board_id == board, ResultScore.student_id == person
            ),
        ),
        "objection": _count_delete(
            session,
            delete(Objection).where(Objection.board_id == board, Objection.person_id == person),
        ),
        "parental_consent": _count_delete(
            session,
            delete(ParentalConsent).where(
                ParentalConsent.board_id == board, ParentalConsent.student_id == person
            ),
        ),
        "licence": _count_delete(
            session, delete(Licence).where(Licence.board_id == board, Licence.person_id == person)
        ),
        "legal_hold": _count_delete(
            session,
            delete(LegalHold).where(
                LegalHold.board_id == board,
                LegalHold.person_id == person,
                LegalHold.lifted_at.is_not(None),
            ),
        ),
    }


def _addresses(session: Session, subject: Subject) -> set[str]:
    """The person's e-mail addresses, read before their rows go: requests may quote them."""
    found: set[str] = set()
    for model in (Student, Staff, Guardian):
        found.update(
            address
            for address in session.scalars(
                select(model.email).where(
                    model.board_id == subject.board_id, model.id == subject.person_id
                )
            )
            if address
        )
    return found


def _forget_requests(session: Session, subject: Subject, addresses: set[str]) -> int:
    """The person's own requests forget them; others' requests lose the person's address
    (a guardian who filed for a child gave their own)."""
    forgotten = requests.forget_person(session, subject.board_id, subject.person_id)
    if addresses:
        session.execute(
            update(RightsRequest)
            .where(
                RightsRequest.board_id == subject.board_id,
                RightsRequest.contact_email.in_(sorted(addresses)),
            )
            .values(contact_email=None)
        )
    return forgotten


def remove_person(session: Session, subject: Subject, at: datetime) -> dict[str, int]:
    """Remove every row about the person; returns rows removed per table (no values)."""
    keys = _keys(session, subject)
    addresses = _addresses(session, subject)
    links = _links(session, subject)
    counts = {"kept_object": _kept_release(session, subject)}
    counts |= _exceptions(session, subject)
    counts |= _roster(session, subject, links)
    counts["import_run"] = _scrub_import_messages(session, subject.board_id, keys)
    counts["ledger_entries"] = audit.erase_person(session, subject.board_id, subject.person_id)
    counts["rights_request"] = _forget_requests(session, subject, addresses)
    session.flush()
    for school_id in subject.school_ids:  # what the release shows of the rest may move too
        changes.school_changed(session, school_id, at, {subject.person_id})
    return {table: n for table, n in counts.items() if n}
