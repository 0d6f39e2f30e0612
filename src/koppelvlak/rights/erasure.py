"""Erasure of one person (GDPR art. 17): notices first, then every trace, then a bare record.

``erase_person_data`` refuses while a legal hold stands (``HeldError``); otherwise it first has
a deletion notice made for every provider that received the person's data
(``delivery.notices.notify_erasure``: the outbox sends them after commit and records their
acknowledgements), then removes the person everywhere (``rights.removal``), and keeps only the
record the law requires: that an erasure was carried out, when, under which request, and how
many rows went — no name, no id (ADRs 0116, 0117). It all happens in the caller's unit of work,
so a failure anywhere erases nothing and sends nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.delivery.notices import notify_erasure
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import as_utc
from koppelvlak.rights import applicable, holds, removal
from koppelvlak.rights.holds_models import ErasureKind, ErasureRecord

REF_LIMIT = 200


class InvalidErasure(KoppelvlakError):
    title = "Invalid erasure"


@dataclass(frozen=True)
class NoticeState:
    """One deletion notice (per connection that received the person), and whether the
    provider acknowledged it: an erasure repeated while a notice is open finds it again."""

    notice_id: uuid.UUID
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    acknowledged: bool


@dataclass(frozen=True)
class ErasureReport:
    record_id: uuid.UUID
    board_id: uuid.UUID
    person_kind: str
    erased_at: datetime
    request_ref: str | None
    removed: Mapping[str, int] = field(default_factory=dict)
    notices: tuple[NoticeState, ...] = ()

    @property
    def acknowledged(self) -> tuple[NoticeState, ...]:
        return tuple(n for n in self.notices if n.acknowledged)

    @property
    def awaiting(self) -> tuple[NoticeState, ...]:
        return tuple(n for n in self.notices if not n.acknowledged)


def _request_ref(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned or len(cleaned) > REF_LIMIT:
        raise InvalidErasure(f"a request reference is 1 to {REF_LIMIT} characters")
    return cleaned


def _notify(
    session: Session, board_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> tuple[NoticeState, ...]:
    """A deletion notice per connection that received the person (the ledger says which),
    made before anything is erased: the notice reads the ledger and the kept pseudonym."""
    return tuple(
        NoticeState(
            notice_id=notice.id,
            provider_id=notice.provider_id,
            connection_id=notice.connection_id,
            acknowledged=notice.acknowledged_at is not None,
        )
        for notice in notify_erasure(session, board_id=board_id, person_id=person_id, at=at)
    )


def record_erasure(
    session: Session,
    *,
    board_id: uuid.UUID,
    kind: ErasureKind,
    person_kind: str,
    at: datetime,
    actor: str,
    counts: Mapping[str, int],
    request_ref: str | None = None,
    purge_plan_id: uuid.UUID | None = None,
) -> ErasureRecord:
    row = ErasureRecord(
        board_id=board_id,
        kind=kind,
        request_ref=request_ref,
        purge_plan_id=purge_plan_id,
        person_kind=person_kind,
        erased_at=at,
        erased_by=actor,
        counts=dict(counts),
    )
    session.add(row)
    session.flush()
    return row


def erase_person_data(
    session: Session,
    *,
    board_id: uuid.UUID,
    person_id: uuid.UUID,
    at: datetime,
    request_ref: str | None = None,
    actor: str = "system",
) -> ErasureReport:
    """Erase one person of one board; refuses unknown people, other boards' and held ones."""
    at = as_utc(at)
    ref = _request_ref(request_ref)
    subject = applicable.subject(session, board_id, person_id)
    holds.refuse_if_held(session, board_id=board_id, person_id=person_id, at=at)
    notices = _notify(session, board_id, person_id, at)
    counts = removal.remove_person(session, subject, at)
    record = record_erasure(
        session,
        board_id=board_id,
        kind=ErasureKind.REQUEST,
        person_kind=subject.kind.value,
        at=at,
        actor=actor,
        counts={**counts, "notices": len(notices)},
        request_ref=ref,
    )
    return ErasureReport(
        record_id=record.id,
        board_id=board_id,
        person_kind=subject.kind.value,
        erased_at=at,
        request_ref=ref,
        removed=counts,
        notices=notices,
    )
