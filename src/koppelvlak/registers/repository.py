"""The one query the registers make themselves: which board they describe."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.roster.models import Board


def board_code_and_name(session: Session, board_id: uuid.UUID) -> tuple[str, str]:
    row = session.execute(select(Board.code, Board.name).where(Board.id == board_id)).one()
    return str(row.code), str(row.name)
