"""Legal holds: a person or a purpose whose data must stay, whatever erasure or retention say.

A hold has a reason, who placed it and when; lifting it records who, when and why, and keeps
the row. While a hold stands, ``erase_person_data`` refuses (``HeldError``) and the retention
purge passes over what it covers. A purpose hold covers every person that purpose applies to
(``rights.applicable``) and every result returned under it (ADR 0115).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from koppelvlak.catalogue import service as catalogue
from koppelvlak.errors import Conflict, KoppelvlakError, NotFound
from koppelvlak.kit.clock import as_utc
from koppelvlak.rights import applicable
from koppelvlak.rights.holds_models import LegalHold

REASON_LIMIT = 2000


class HeldError(Conflict):
    title = "Held"


class InvalidHold(KoppelvlakError):
    title = "Invalid legal hold"


class UnknownHold(NotFound):
    title = "Legal hold not found"


class HoldAlreadyLifted(Conflict):
    title = "Legal hold already lifted"


@dataclass(frozen=True)
class Hold:
    id: uuid.UUID
    board_id: uuid.UUID
    person_id: uuid.UUID | None
    purpose_code: str | None
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None

    @property
    def target(self) -> str:
        return f"person {self.person_id}" if self.person_id else f"purpose {self.purpose_code}"

    def active(self, at: datetime) -> bool:
        return as_utc(self.placed_at) <= as_utc(at) and (
            self.lifted_at is None or as_utc(self.lifted_at) > as_utc(at)
        )


def _value(row: LegalHold) -> Hold:
    return Hold(
        id=row.id,
        board_id=row.board_id,
        person_id=row.person_id,
        purpose_code=row.purpose_code,
        reason=row.reason,
        placed_by=row.placed_by,
        placed_at=as_utc(row.placed_at),
        lifted_by=row.lifted_by,
        lifted_at=None if row.lifted_at is None else as_utc(row.lifted_at),
        lift_reason=row.lift_reason,
    )


def _reason(text: str | None, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidHold(f"{what} needs a reason")
    if len(cleaned) > REASON_LIMIT:
        raise InvalidHold(f"the reason is longer than {REASON_LIMIT} characters")
    return cleaned


def place_hold(
    session: Session,
    *,
    board_id: uuid.UUID,
    reason: str,
    actor: str,
    at: datetime,
    person_id: uuid.UUID | None = None,
    purpose_code: str | None = None,
) -> Hold:
    """Hold one person's data or one purpose's; refuses both, neither, unknown ones, no reason."""
    if (person_id is None) == (purpose_code is None):
        raise InvalidHold("a legal hold names either a person or a purpose, not both or neither")
    text = _reason(reason, "a legal hold")
    if person_id is not None:
        applicable.subject(session, board_id, person_id)
    elif purpose_code not in catalogue.purposes(session):
        raise InvalidHold(f"unknown purpose {purpose_code!r}")
    row = LegalHold(
        board_id=board_id,
        person_id=person_id,
        purpose_code=purpose_code,
        reason=text,
        placed_by=actor,
        placed_at=as_utc(at),
    )
    session.add(row)
    session.flush()
    return _value(row)


def lift_hold(
    session: Session,
    *,
    board_id: uuid.UUID,
    hold_id: uuid.UUID,
    reason: str,
    actor: str,
    at: datetime,
) -> Hold:
    """End a hold; the row stays with who lifted it, when and why."""
    row = session.scalar(
        select(LegalHold).where(LegalHold.id == hold_id, LegalHold.board_id == board_id)
    )
    if row is None:
        raise UnknownHold(f"no legal hold with id {hold_id} here")
    if row.lifted_at is not None:
        raise HoldAlreadyLifted(f"legal hold {hold_id} was lifted at {as_utc(row.lifted_at)}")
    row.lift_reason = _reason(reason, "lifting a legal hold")
    row.lifted_by, row.lifted_at = actor, as_utc(at)
    session.flush()
    return _value(row)


def holds(session: Session, *, board_id: uuid.UUID, at: datetime | None = None) -> tuple[Hold, ...]:
    """The board's holds, oldest first; with ``at``, only those standing at that moment."""
    rows = session.scalars(
        select(LegalHold)
        .where(LegalHold.board_id == board_id)
        .order_by(LegalHold.placed_at, LegalHold.id)
    ).all()
    found = tuple(_value(r) for r in rows)
    return found if at is None else tuple(h for h in found if h.active(at))


def standing(session: Session, board_id: uuid.UUID, at: datetime) -> tuple[Hold, ...]:
    """Holds standing at ``at`` (placed by then, not lifted by then)."""
    moment = as_utc(at)
    rows = session.scalars(
        select(LegalHold)
        .where(LegalHold.board_id == board_id, LegalHold.placed_at <= moment)
        .where(or_(LegalHold.lifted_at.is_(None), LegalHold.lifted_at > moment))
        .order_by(LegalHold.placed_at, LegalHold.id)
    ).all()
    return tuple(_value(r) for r in rows)


def held(
    session: Session, *, board_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> Hold | None:
    """The hold that keeps this person's data at ``at``: on them, or on a purpose applying."""
    found = standing(session, board_id, at)
    for hold in found:
        if hold.person_id == person_id:
            return hold
    purpose_holds = [h for h in found if h.purpose_code is not None]
    if not purpose_holds:
        return None
    subject = applicable.find_subject(session, board_id, person_id)
    if subject is None:
        return None
    purposes = applicable.purposes_of(session, subject)
    return next((h for h in purpose_holds if h.purpose_code in purposes), None)


def refuse_if_held(
    session: Session, *, board_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> None:
    hold = held(session, board_id=board_id, person_id=person_id, at=at)
    if hold is not None:
        raise HeldError(
            f"person {person_id} is under legal hold {hold.id} ({hold.target}) since "
            f"{hold.placed_at:%Y-%m-%d}: {hold.reason}"
        )
