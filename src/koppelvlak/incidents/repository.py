"""Every incident query, bounded by the board (a provider's report names its own connections)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.incidents.models import Incident, IncidentConnection, IncidentRecipient


def incidents_of_board(session: Session, board_id: uuid.UUID) -> Sequence[Incident]:
    return session.scalars(
        select(Incident).where(Incident.board_id == board_id).order_by(Incident.reported_at)
    ).all()


def incident_in_board(
    session: Session, board_id: uuid.UUID, incident_id: uuid.UUID
) -> Incident | None:
    return session.scalar(
        select(Incident).where(Incident.board_id == board_id, Incident.id == incident_id)
    )


def connection_ids(session: Session, incident_id: uuid.UUID) -> list[uuid.UUID]:
    return sorted(
        session.scalars(
            select(IncidentConnection.connection_id).where(
                IncidentConnection.incident_id == incident_id
            )
        )
    )


def recipient(session: Session, board_id: uuid.UUID) -> IncidentRecipient | None:
    return session.scalar(select(IncidentRecipient).where(IncidentRecipient.board_id == board_id))
