"""Exceptions per person and provider: objection (opt-out) and parental consent.

Both are kept as histories, never overwritten: an objection is lifted, not deleted; each
consent decision (given, refused, withdrawn) is a new row and the latest counts. The release
engine reads them as they stood at the moment of release.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections.errors import InvalidException
from koppelvlak.connections.models import (
    ConsentState,
    Objection,
    ParentalConsent,
    PersonKindColumn,
)
from koppelvlak.kit import changes
from koppelvlak.providers import repository as provider_repository
from koppelvlak.providers.errors import ProviderNotFound
from koppelvlak.roster.models import Guardian, Staff, Student


@dataclass(frozen=True)
class ConsentView:
    state: str
    decided_by: str
    decided_at: datetime


def _provider(session: Session, provider_id: uuid.UUID) -> None:
    if provider_repository.provider(session, provider_id) is None:
        raise ProviderNotFound(f"no provider with id {provider_id}")


def person_kind(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> PersonKindColumn:
    """Whether the id is a student or a staff member of this board."""
    if session.scalar(
        select(Student.id).where(Student.id == person_id, Student.board_id == board_id)
    ):
        return PersonKindColumn.STUDENT
    if session.scalar(select(Staff.id).where(Staff.id == person_id, Staff.board_id == board_id)):
        return PersonKindColumn.STAFF
    raise InvalidException(f"no student or staff member with id {person_id} in this board")


def record_objection(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
) -> Objection:
    """The person objects to this provider: from now on nothing about them is released to it."""
    _provider(session, provider_id)
    kind = person_kind(session, board_id, person_id)
    existing = _open_objection(session, board_id, provider_id, person_id)
    if existing is not None:
        return existing
    objection = Objection(
        board_id=board_id,
        provider_id=provider_id,
        person_kind=kind,
        person_id=person_id,
        recorded_at=at,
        recorded_by=actor,
    )
    session.add(objection)
    session.flush()
    changes.person_changed(session, provider_id, person_id, at)
    return objection


def lift_objection(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
) -> None:
    existing = _open_objection(session, board_id, provider_id, person_id)
    if existing is None:
        raise InvalidException(f"no objection of {person_id} to this provider is in force")
    existing.lifted_at, existing.lifted_by = at, actor
    session.flush()
    changes.person_changed(session, provider_id, person_id, at)


def _open_objection(
    session: Session, board_id: uuid.UUID, provider_id: uuid.UUID, person_id: uuid.UUID
) -> Objection | None:
    return session.scalar(
        select(Objection).where(
            Objection.board_id == board_id,
            Objection.provider_id == provider_id,
            Objection.person_id == person_id,
            Objection.lifted_at.is_(None),
        )
    )


def record_consent(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    student_id: uuid.UUID,
    state: ConsentState,
    *,
    decided_by: str,
    at: datetime,
) -> ParentalConsent:
    """A parent's decision for a child and a provider; the latest decision counts.

    ``decided_by`` names the parent or guardian (or the admin recording a paper form).
    """
    _provider(session, provider_id)
    if person_kind(session, board_id, student_id) is not PersonKindColumn.STUDENT:
        raise InvalidException("parental consent is recorded for students only")
    if not decided_by.strip():
        raise InvalidException("consent must say who decided")
    latest = current_consent(session, board_id, provider_id, student_id)
    if state is ConsentState.WITHDRAWN and (latest is None or latest.state != "given"):
        raise InvalidException("only consent that was given can be withdrawn")
    consent = ParentalConsent(
        board_id=board_id,
        provider_id=provider_id,
        student_id=student_id,
        state=state,
        decided_by=decided_by.strip(),
        decided_at=at,
    )
    session.add(consent)
    session.flush()
    changes.person_changed(session, provider_id, student_id, at)
    return consent


def current_consent(
    session: Session, board_id: uuid.UUID, provider_id: uuid.UUID, student_id: uuid.UUID
) -> ConsentView | None:
    row = session.scalars(
        select(ParentalConsent)
        .where(
            ParentalConsent.board_id == board_id,
            ParentalConsent.provider_id == provider_id,
            ParentalConsent.student_id == student_id,
        )
        .order_by(ParentalConsent.decided_at.desc(), ParentalConsent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return ConsentView(row.state.value, row.decided_by, row.decided_at)


def guardian_name(session: Session, board_id: uuid.UUID, guardian_id: uuid.UUID) -> str:
    """How a consent row names a guardian who decided: 'guardian:<id>'."""
    if (
        session.scalar(
            select(Guardian.id).where(Guardian.id == guardian_id, Guardian.board_id == board_id)
        )
        is None
    ):
        raise InvalidException(f"no guardian with id {guardian_id} in this board")
    return f"guardian:{guardian_id}"
