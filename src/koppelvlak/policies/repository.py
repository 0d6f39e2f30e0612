"""Every query of the policies context; each one is scoped to a board."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections.models import ParentalConsent
from koppelvlak.policies.models import (
    Policy,
    PolicyAcceptance,
    PolicyVersion,
    SubjectKind,
    VersionState,
)
from koppelvlak.roster.models import Guardian, Guardianship, Staff, Student

Person = Student | Staff | Guardian
_MODELS: dict[SubjectKind, type[Student] | type[Staff] | type[Guardian]] = {
    SubjectKind.STUDENT: Student,
    SubjectKind.STAFF: Staff,
    SubjectKind.GUARDIAN: Guardian,
}


def policy_in_board(session: Session, board_id: uuid.UUID, policy_id: uuid.UUID) -> Policy | None:
    return session.scalar(select(Policy).where(Policy.id == policy_id, Policy.board_id == board_id))


def policy_by_code(session: Session, board_id: uuid.UUID, code: str) -> Policy | None:
    return session.scalar(select(Policy).where(Policy.board_id == board_id, Policy.code == code))


def policies_of_board(session: Session, board_id: uuid.UUID) -> list[Policy]:
    return list(
        session.scalars(select(Policy).where(Policy.board_id == board_id).order_by(Policy.code))
    )


def versions_of(session: Session, policy_id: uuid.UUID) -> list[PolicyVersion]:
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy_id)
            .order_by(PolicyVersion.number)
        )
    )


def version(session: Session, policy_id: uuid.UUID, number: int) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy_id, PolicyVersion.number == number
        )
    )


def active_version(session: Session, policy_id: uuid.UUID) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy_id, PolicyVersion.state == VersionState.ACTIVE
        )
    )


def open_acceptances(
    session: Session, policy_id: uuid.UUID, subject_id: uuid.UUID | None = None
) -> list[tuple[PolicyAcceptance, int]]:
    """Acceptances not withdrawn, each with the number of the version it accepted."""
    query = (
        select(PolicyAcceptance, PolicyVersion.number)
        .join(PolicyVersion, PolicyVersion.id == PolicyAcceptance.version_id)
        .where(PolicyAcceptance.policy_id == policy_id, PolicyAcceptance.withdrawn_at.is_(None))
        .order_by(PolicyAcceptance.accepted_at, PolicyAcceptance.id)
    )
    if subject_id is not None:
        query = query.where(PolicyAcceptance.subject_id == subject_id)
    return [(row, int(number)) for row, number in session.execute(query)]


def acceptances_of(
    session: Session, policy_id: uuid.UUID, subject_id: uuid.UUID
) -> list[tuple[PolicyAcceptance, int]]:
    """Every acceptance of this person, withdrawn ones too, oldest first."""
    rows = session.execute(
        select(PolicyAcceptance, PolicyVersion.number)
        .join(PolicyVersion, PolicyVersion.id == PolicyAcceptance.version_id)
        .where(PolicyAcceptance.policy_id == policy_id, PolicyAcceptance.subject_id == subject_id)
        .order_by(PolicyAcceptance.accepted_at, PolicyAcceptance.id)
    )
    return [(row, int(number)) for row, number in rows]


def person(
    session: Session, board_id: uuid.UUID, kind: SubjectKind, person_id: uuid.UUID
) -> Person | None:
    """A current (not removed) student, staff member or guardian of this board."""
    model = _MODELS[kind]
    found = session.scalar(
        select(model).where(
            model.id == person_id, model.board_id == board_id, model.removed_at.is_(None)
        )
    )
    return cast("Person | None", found)


def people(session: Session, board_id: uuid.UUID, kind: SubjectKind) -> list[Person]:
    model = _MODELS[kind]
    return list(
        session.scalars(
            select(model)
            .where(model.board_id == board_id, model.removed_at.is_(None))
            .order_by(model.source_key, model.id)
        )
    )


def is_guardian_of(
    session: Session, board_id: uuid.UUID, guardian_id: uuid.UUID, student_id: uuid.UUID
) -> bool:
    return (
        session.scalar(
            select(Guardianship.id).where(
                Guardianship.board_id == board_id,
                Guardianship.guardian_id == guardian_id,
                Guardianship.student_id == student_id,
                Guardianship.removed_at.is_(None),
            )
        )
        is not None
    )


def latest_consent_id(
    session: Session, board_id: uuid.UUID, provider_id: uuid.UUID, student_id: uuid.UUID
) -> uuid.UUID | None:
    """The id of the consent decision that counts now (the latest), as connections orders them."""
    return session.scalar(
        select(ParentalConsent.id)
        .where(
            ParentalConsent.board_id == board_id,
            ParentalConsent.provider_id == provider_id,
            ParentalConsent.student_id == student_id,
        )
        .order_by(ParentalConsent.decided_at.desc(), ParentalConsent.id.desc())
        .limit(1)
    )
