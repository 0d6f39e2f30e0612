"""Every query of the delivery context (notices, pushes, keys, outbox, attempts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.delivery.models import DeletionNotice, PushRegistration
from koppelvlak.release.models import KeptObject, KeptRelease


def open_notice(
    session: Session,
    connection_id: uuid.UUID,
    person_id: uuid.UUID,
    reason: str | None = None,
) -> DeletionNotice | None:
    """The unacknowledged notice of this connection and person (of this reason, if given)."""
    statement = select(DeletionNotice).where(
        DeletionNotice.connection_id == connection_id,
        DeletionNotice.person_id == person_id,
        DeletionNotice.acknowledged_at.is_(None),
    )
    if reason is not None:
        statement = statement.where(DeletionNotice.reason == reason)
    return session.scalars(statement.limit(1)).first()


def notice(session: Session, notice_id: uuid.UUID) -> DeletionNotice | None:
    return session.get(DeletionNotice, notice_id)


def locked_notice(session: Session, notice_id: uuid.UUID) -> DeletionNotice | None:
    """The notice under a row lock (PostgreSQL), so two concurrent acks cannot both win."""
    statement = select(DeletionNotice).where(DeletionNotice.id == notice_id).with_for_update()
    return session.scalars(statement).first()


def notices_of_person(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID
) -> Sequence[DeletionNotice]:
    statement = (
        select(DeletionNotice)
        .where(DeletionNotice.board_id == board_id, DeletionNotice.person_id == person_id)
        .order_by(DeletionNotice.created_at, DeletionNotice.id)
    )
    return session.scalars(statement).all()


def notices_of_board(
    session: Session, board_id: uuid.UUID, state: str, at: datetime
) -> Sequence[DeletionNotice]:
    """``open`` (unacknowledged), ``overdue`` (open past its due time) or ``acknowledged``."""
    statement = select(DeletionNotice).where(DeletionNotice.board_id == board_id)
    if state == "acknowledged":
        statement = statement.where(DeletionNotice.acknowledged_at.is_not(None))
    else:
        statement = statement.where(DeletionNotice.acknowledged_at.is_(None))
    if state == "overdue":
        statement = statement.where(DeletionNotice.due_at <= at)
    return session.scalars(statement.order_by(DeletionNotice.due_at, DeletionNotice.id)).all()


def notices_of_provider(
    session: Session, provider_id: uuid.UUID, acknowledged: bool | None
) -> Sequence[DeletionNotice]:
    statement = select(DeletionNotice).where(DeletionNotice.provider_id == provider_id)
    if acknowledged is True:
        statement = statement.where(DeletionNotice.acknowledged_at.is_not(None))
    elif acknowledged is False:
        statement = statement.where(DeletionNotice.acknowledged_at.is_(None))
    return session.scalars(statement.order_by(DeletionNotice.created_at, DeletionNotice.id)).all()


def unescalated_overdue(
    session: Session, at: datetime, board_id: uuid.UUID | None = None
) -> Sequence[DeletionNotice]:
    statement = select(DeletionNotice).where(
        DeletionNotice.acknowledged_at.is_(None),
        DeletionNotice.escalated_at.is_(None),
        DeletionNotice.due_at <= at,
    )
    if board_id is not None:
        statement = statement.where(DeletionNotice.board_id == board_id)
    return session.scalars(statement.order_by(DeletionNotice.board_id, DeletionNotice.due_at)).all()


def known_user_key(session: Session, connection_id: uuid.UUID, person_id: uuid.UUID) -> str | None:
    """The sourcedId the connection's provider was given for this person (the kept release)."""
    statement = select(KeptObject.key).where(
        KeptObject.connection_id == connection_id,
        KeptObject.collection == "users",
        KeptObject.person_id == person_id,
    )
    return session.scalars(statement.limit(1)).first()


def departed_users(
    session: Session, connection_id: uuid.UUID, version: int
) -> Sequence[tuple[uuid.UUID, str, str | None]]:
    """(person, sourcedId, reason) of every user who left the release at this kept version."""
    statement = select(KeptObject.person_id, KeptObject.key, KeptObject.left_reason).where(
        KeptObject.connection_id == connection_id,
        KeptObject.collection == "users",
        KeptObject.status == "tobedeleted",
        KeptObject.version == version,
        KeptObject.person_id.is_not(None),
    )
    return [(uuid.UUID(str(p)), k, r) for p, k, r in session.execute(statement)]


def registration(session: Session, connection_id: uuid.UUID) -> PushRegistration | None:
    return session.get(PushRegistration, connection_id)


def registrations(
    session: Session, connection_ids: Iterable[uuid.UUID]
) -> Sequence[PushRegistration]:
    wanted = list(connection_ids)
    if not wanted:
        return []
    statement = select(PushRegistration).where(PushRegistration.connection_id.in_(wanted))
    return session.scalars(statement.with_for_update()).all()


def kept_since(
    session: Session, connection_id: uuid.UUID, version: int, *, active_only: bool
) -> Sequence[tuple[str, str, uuid.UUID | None, str]]:
    """(collection, key, person, body) of the kept objects that changed after ``version``."""
    statement = select(
        KeptObject.collection, KeptObject.key, KeptObject.person_id, KeptObject.body
    ).where(KeptObject.connection_id == connection_id, KeptObject.version > version)
    if active_only:
        statement = statement.where(KeptObject.status == "active")
    statement = statement.order_by(KeptObject.collection, KeptObject.key)
    return [
        (c, k, None if p is None else uuid.UUID(str(p)), b)
        for c, k, p, b in session.execute(statement)
    ]


def kept_head(session: Session, connection_id: uuid.UUID) -> KeptRelease | None:
    return session.get(KeptRelease, connection_id)
