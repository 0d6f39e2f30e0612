"""Queries both exporters share (``export_uwlr``, ``export_oneroster``): live rows, school year."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.roster.models import SchoolYear


def live(session: Session, model: Any, *where: Any) -> list[Any]:
    """The rows of ``model`` matching ``where`` that are not removed."""
    return list(session.scalars(select(model).where(model.removed_at.is_(None), *where)))


def school_year_of(session: Session, board_id: uuid.UUID) -> SchoolYear:
    """The board's latest school year (the one the exports describe)."""
    years = list(
        session.scalars(
            select(SchoolYear).where(SchoolYear.board_id == board_id).order_by(SchoolYear.name)
        )
    )
    return years[-1]
