"""Every query of the accounts context, scoped to one board."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.accounts.models import Account, AccountEvent, ConsentRequest
from koppelvlak.roster.models import Board, Guardian, Guardianship, Student


def board_id(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == code))


def board_name(session: Session, board: uuid.UUID) -> str:
    return session.scalar(select(Board.name).where(Board.id == board)) or ""


def account_by_email(session: Session, board: uuid.UUID, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.board_id == board, Account.email == email))


def recent_events(session: Session, board: uuid.UUID, limit: int) -> list[AccountEvent]:
    return list(
        session.scalars(
            select(AccountEvent)
            .where(AccountEvent.board_id == board)
            .order_by(AccountEvent.at.desc(), AccountEvent.id)
            .limit(limit)
        )
    )


def guardians_to_ask(
    session: Session, board: uuid.UUID, school_id: uuid.UUID, student_ids: frozenset[uuid.UUID]
) -> list[tuple[uuid.UUID, str | None, uuid.UUID, str]]:
    """(student id, child's given name, guardian id, guardian e-mail) of current guardianships."""
    rows = session.execute(
        select(Student.id, Student.given_name, Guardian.id, Guardian.email)
        .join(Guardianship, Guardianship.student_id == Student.id)
        .join(Guardian, Guardian.id == Guardianship.guardian_id)
        .where(
            Student.board_id == board,
            Student.school_id == school_id,
            Student.id.in_(student_ids),
            Student.removed_at.is_(None),
            Guardianship.removed_at.is_(None),
            Guardian.removed_at.is_(None),
            Guardian.email.is_not(None),
        )
        .order_by(Student.source_key, Guardian.source_key)
    ).all()
    return [(s, name, g, email) for s, name, g, email in rows if email]


def student_given_name(session: Session, board: uuid.UUID, student_id: uuid.UUID) -> str:
    return (
        session.scalar(
            select(Student.given_name).where(Student.board_id == board, Student.id == student_id)
        )
        or ""
    )


def consent_request(session: Session, request_id: uuid.UUID) -> ConsentRequest | None:
    return session.get(ConsentRequest, request_id)


def students_without_decision(
    session: Session, board: uuid.UUID, school_id: uuid.UUID, provider_id: uuid.UUID
) -> frozenset[uuid.UUID]:
    """Current students of the school with no consent decision at all for the provider."""
    from koppelvlak.connections.models import ParentalConsent

    decided = select(ParentalConsent.student_id).where(
        ParentalConsent.board_id == board, ParentalConsent.provider_id == provider_id
    )
    return frozenset(
        session.scalars(
            select(Student.id).where(
                Student.board_id == board,
                Student.school_id == school_id,
                Student.removed_at.is_(None),
                Student.id.not_in(decided),
            )
        )
    )


def person_school(session: Session, board: uuid.UUID, person_id: uuid.UUID) -> uuid.UUID | None:
    """The school of a student or staff member of this board (None: not of this board)."""
    from koppelvlak.roster.models import Staff

    for model in (Student, Staff):
        found = session.scalar(
            select(model.school_id).where(model.board_id == board, model.id == person_id)
        )
        if found is not None:
            return found
    return None
