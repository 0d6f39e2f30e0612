"""Every mandate query. Board-scoped reads take the board id; only the public check and the
delivery path read across boards, and they name the school's identifiers exactly."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from koppelvlak.connections.models import Connection
from koppelvlak.mandates.models import FinalTestRule, Mandate, MandateRefusal, MandateService
from koppelvlak.results.models import ResultBatch, ResultScore
from koppelvlak.roster.models import School


def services(session: Session) -> Sequence[MandateService]:
    return session.scalars(select(MandateService).order_by(MandateService.name)).all()


def service_named(session: Session, name: str) -> MandateService | None:
    return session.scalar(select(MandateService).where(MandateService.name == name))


def mandate_in_board(
    session: Session, board_id: uuid.UUID, mandate_id: uuid.UUID
) -> Mandate | None:
    return session.scalar(
        select(Mandate).where(Mandate.board_id == board_id, Mandate.id == mandate_id)
    )


def mandates_of_board(
    session: Session, board_id: uuid.UUID, school_id: uuid.UUID | None = None
) -> Sequence[tuple[Mandate, str, School]]:
    query = (
        select(Mandate, MandateService.name, School)
        .join(MandateService, MandateService.id == Mandate.service_id)
        .join(School, School.id == Mandate.school_id)
        .where(Mandate.board_id == board_id)
        .order_by(School.brin, School.location_code, MandateService.name, Mandate.decided_at)
    )
    if school_id is not None:
        query = query.where(Mandate.school_id == school_id)
    return [(m, name, s) for m, name, s in session.execute(query).all()]


def valid_mandates(
    session: Session,
    *,
    school_ids: Sequence[uuid.UUID],
    service_id: uuid.UUID,
    party: str,
    day: date,
    at: datetime,
) -> Sequence[Mandate]:
    """Mandates of these schools for service and party: valid on ``day``, unrevoked at ``at``."""
    if not school_ids:
        return []
    return session.scalars(
        select(Mandate)
        .where(
            Mandate.school_id.in_(school_ids),
            Mandate.service_id == service_id,
            Mandate.party == party,
            Mandate.valid_from <= day,
            or_(Mandate.valid_until.is_(None), Mandate.valid_until >= day),
            or_(Mandate.revoked_at.is_(None), Mandate.revoked_at > at),
        )
        .order_by(Mandate.valid_from)
    ).all()


def overlapping(
    session: Session,
    *,
    school_id: uuid.UUID,
    service_id: uuid.UUID,
    party: str,
    valid_from: date,
    valid_until: date | None,
) -> Mandate | None:
    """An unrevoked mandate for the same school, service and party whose period meets this one."""
    query = select(Mandate).where(
        Mandate.school_id == school_id,
        Mandate.service_id == service_id,
        Mandate.party == party,
        Mandate.revoked_at.is_(None),
        or_(Mandate.valid_until.is_(None), Mandate.valid_until >= valid_from),
    )
    if valid_until is not None:
        query = query.where(Mandate.valid_from <= valid_until)
    return session.scalars(query.limit(1)).first()


def schools_with_code(session: Session, brin: str, location_code: str) -> Sequence[School]:
    """Current schools with this BRIN and location, in any board (the public check's lookup)."""
    return session.scalars(
        select(School).where(
            School.brin == brin,
            School.location_code == location_code,
            School.removed_at.is_(None),
        )
    ).all()


def school(session: Session, school_id: uuid.UUID) -> School | None:
    return session.get(School, school_id)


def school_in_board(
    session: Session, board_id: uuid.UUID, brin: str, location_code: str
) -> School | None:
    return session.scalar(
        select(School).where(
            School.board_id == board_id,
            School.brin == brin,
            School.location_code == location_code,
            School.removed_at.is_(None),
        )
    )


def refusals_of_board(
    session: Session, board_id: uuid.UUID, school_id: uuid.UUID | None = None
) -> Sequence[MandateRefusal]:
    query = select(MandateRefusal).where(MandateRefusal.board_id == board_id)
    if school_id is not None:
        query = query.where(MandateRefusal.school_id == school_id)
    return session.scalars(query.order_by(MandateRefusal.at)).all()


def final_test_rule(session: Session, connection_id: uuid.UUID) -> FinalTestRule | None:
    return session.scalar(select(FinalTestRule).where(FinalTestRule.connection_id == connection_id))


def final_test_rules_of_school(
    session: Session, board_id: uuid.UUID, school_id: uuid.UUID
) -> Sequence[tuple[FinalTestRule, uuid.UUID]]:
    """The school's final-test connections: each rule with its connection's provider."""
    rows = session.execute(
        select(FinalTestRule, Connection.provider_id)
        .join(Connection, Connection.id == FinalTestRule.connection_id)
        .where(FinalTestRule.board_id == board_id, Connection.school_id == school_id)
        .order_by(FinalTestRule.set_at)
    ).all()
    return [(rule, provider_id) for rule, provider_id in rows]


def results_of_connection(
    session: Session, board_id: uuid.UUID, connection_id: uuid.UUID
) -> tuple[int, datetime | None]:
    """How many results a connection returned, and when the last batch came."""
    count = session.scalar(
        select(func.count())
        .select_from(ResultScore)
        .where(ResultScore.board_id == board_id, ResultScore.connection_id == connection_id)
    )
    last = session.scalar(
        select(func.max(ResultBatch.received_at)).where(
            ResultBatch.board_id == board_id, ResultBatch.connection_id == connection_id
        )
    )
    return int(count or 0), last
