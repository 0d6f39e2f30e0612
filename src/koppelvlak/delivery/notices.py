"""Deletion notices: tell every provider that received a person that the person must go.

Who received whom is the ledger's answer (``audit.service.disclosures_for_person``), never a
guess from the release: a provider that was in scope but never fetched gets no notice, and one
that fetched once gets one even after its connection ended. A notice names the person by the
sourcedId that provider was sent (its pseudonym, from the kept release) and the reason's
category only. Notices are written in the transaction of the change that causes them: erasure
calls ``notify_erasure`` before it removes anything; every other departure is read from the
kept release's tombstones right after ``release.kept.settle`` (``notify_departures``), before
the unit of work commits. A notice is open until the provider acknowledges it
(``acknowledge``); past its due time it is overdue and escalates once (``escalate``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.connections import repository as connection_repository
from koppelvlak.delivery import repository
from koppelvlak.delivery.errors import NoticeAlreadyAcknowledged, NoticeUnknown
from koppelvlak.delivery.models import DeletionNotice, NoticeReason
from koppelvlak.kit import mail
from koppelvlak.kit.clock import as_utc

log = logging.getLogger("koppelvlak.delivery")

# The kept release's ``left_reason`` (the engine's rule, or the kept release's own) → category.
_CATEGORY = {
    "out_of_scope": NoticeReason.OUT_OF_SCOPE,
    "not_in_dataset": NoticeReason.OUT_OF_SCOPE,
    "switched_off": NoticeReason.OUT_OF_SCOPE,
    "no_longer_released": NoticeReason.OUT_OF_SCOPE,
    "objection": NoticeReason.OBJECTION,
    "no_parental_consent": NoticeReason.CONSENT_WITHDRAWN,
    "left_school": NoticeReason.LEFT_SCHOOL,
    "connection_inactive": NoticeReason.CONNECTION_ENDED,
}

STATES = ("open", "overdue", "acknowledged")


def category(left_reason: str | None) -> NoticeReason:
    """The notice reason for a kept release's ``left_reason``; unknown ones are out of scope."""
    return _CATEGORY.get(left_reason or "", NoticeReason.OUT_OF_SCOPE)


def _deadline() -> timedelta:
    from koppelvlak.config import get_settings

    return timedelta(days=get_settings().notice_deadline_days)


def _received(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> set[uuid.UUID]:
    """The connections under which this person's data left the gateway, per the ledger."""
    return {d.connection_id for d in audit.disclosures_for_person(session, board_id, person_id)}


_ONE_BY_ONE = 20
"""Up to this many people leaving one connection, the ledger is asked per person; more (a
connection ending), it is read once for the provider and filtered by connection."""


def _received_among(
    session: Session,
    board_id: uuid.UUID,
    provider_id: uuid.UUID,
    connection_id: uuid.UUID,
    people: set[uuid.UUID],
) -> set[uuid.UUID]:
    """Which of ``people`` left the gateway under this connection, per the ledger."""
    if len(people) <= _ONE_BY_ONE:
        return {p for p in people if connection_id in _received(session, board_id, p)}
    found: set[uuid.UUID] = set()
    for entry in audit.disclosures_for_provider(session, board_id, provider_id):
        if entry.connection_id == connection_id:
            found |= entry.person_ids & people
    return found


def _pseudonym(
    session: Session,
    connection_id: uuid.UUID,
    provider_id: uuid.UUID,
    person_id: uuid.UUID,
    pseudonym_key: bytes | None,
) -> str:
    """The sourcedId the provider knows: from the kept release, else recomputed from the key."""
    known = repository.known_user_key(session, connection_id, person_id)
    if known is not None:
        return known
    from koppelvlak.release.pseudonyms import pseudonym

    if pseudonym_key is None:
        from koppelvlak.config import get_settings, load_secrets

        pseudonym_key = load_secrets(get_settings()).pseudonym_key
    return pseudonym(pseudonym_key, provider_id, person_id)


def _write(
    session: Session,
    *,
    connection_id: uuid.UUID,
    person_id: uuid.UUID,
    pseudonym: str,
    reason: NoticeReason,
    at: datetime,
) -> DeletionNotice | None:
    connection = connection_repository.connection(session, connection_id)
    if connection is None:
        return None
    notice = DeletionNotice(
        id=uuid.uuid4(),
        board_id=connection.board_id,
        connection_id=connection_id,
        provider_id=connection.provider_id,
        person_id=person_id,
        pseudonym=pseudonym,
        reason=reason.value,
        created_at=at,
        due_at=at + _deadline(),
    )
    session.add(notice)
    _enqueue_push(session, notice)
    return notice


def _enqueue_push(session: Session, notice: DeletionNotice) -> None:
    """A connection delivered by push also gets the notice by push (``delivery.push``)."""
    from koppelvlak.delivery import push

    push.enqueue_notice(session, notice)


def notify_erasure(
    session: Session,
    *,
    board_id: uuid.UUID,
    person_id: uuid.UUID,
    at: datetime,
    pseudonym_key: bytes | None = None,
) -> list[DeletionNotice]:
    """One ``erasure`` notice per connection whose provider received this person.

    Call it before the person's roster rows and ledger payloads are erased: it reads the ledger
    and the kept release to know who received them and by which pseudonym. Idempotent while a
    notice is open: calling it again returns the open notices instead of adding new ones.
    """
    at = as_utc(at)
    found: list[DeletionNotice] = []
    for connection_id in sorted(_received(session, board_id, person_id), key=str):
        existing = repository.open_notice(
            session, connection_id, person_id, NoticeReason.ERASURE.value
        )
        if existing is not None:
            found.append(existing)
            continue
        connection = connection_repository.connection(session, connection_id)
        if connection is None or connection.board_id != board_id:
            continue
        written = _write(
            session,
            connection_id=connection_id,
            person_id=person_id,
            pseudonym=_pseudonym(
                session, connection_id, connection.provider_id, person_id, pseudonym_key
            ),
            reason=NoticeReason.ERASURE,
            at=at,
        )
        if written is not None:
            found.append(written)
    session.flush()
    return found


def notify_departures(
    session: Session, settled: Iterable[tuple[uuid.UUID, int]], at: datetime
) -> list[DeletionNotice]:
    """Notices for every user who left a kept release in this unit of work.

    ``settled`` is (connection, kept version) per refresh (``release.kept.Refreshed``). Only a
    provider that received the person (ledger) is told, and only once while a notice of this
    connection and person is open, whatever its reason.
    """
    at = as_utc(at)
    written: list[DeletionNotice] = []
    for connection_id, version in settled:
        departed = repository.departed_users(session, connection_id, version)
        connection = connection_repository.connection(session, connection_id)
        if not departed or connection is None:
            continue
        received = _received_among(
            session,
            connection.board_id,
            connection.provider_id,
            connection_id,
            {person for person, _key, _reason in departed},
        )
        for person_id, key, left_reason in departed:
            if person_id not in received or repository.open_notice(
                session, connection_id, person_id
            ):
                continue
            notice = _write(
                session,
                connection_id=connection_id,
                person_id=person_id,
                pseudonym=key,
                reason=category(left_reason),
                at=at,
            )
            if notice is not None:
                written.append(notice)
    if written:
        session.flush()
    return written


def notices_for_person(
    session: Session, *, board_id: uuid.UUID, person_id: uuid.UUID
) -> list[DeletionNotice]:
    """Every notice about this person (oldest first), open or acknowledged."""
    return list(repository.notices_of_person(session, board_id, person_id))


def overdue(session: Session, *, board_id: uuid.UUID, at: datetime) -> list[DeletionNotice]:
    """The board's open notices whose due time has passed."""
    return list(repository.notices_of_board(session, board_id, "overdue", as_utc(at)))


def for_board(
    session: Session, *, board_id: uuid.UUID, state: str, at: datetime
) -> list[DeletionNotice]:
    """The board's notices in ``state`` (open, overdue, acknowledged)."""
    if state not in STATES:
        raise ValueError(f"unknown notice state {state!r}")
    return list(repository.notices_of_board(session, board_id, state, as_utc(at)))


def for_provider(
    session: Session, *, provider_id: uuid.UUID, status: str | None
) -> list[DeletionNotice]:
    """What a provider may list of its own notices: ``open``, ``acknowledged`` or all."""
    acknowledged = {"open": False, "acknowledged": True}.get(status or "")
    return list(repository.notices_of_provider(session, provider_id, acknowledged))


def acknowledge(
    session: Session,
    *,
    provider_id: uuid.UUID,
    notice_id: uuid.UUID,
    at: datetime,
    actor: str,
) -> DeletionNotice:
    """The provider confirms it deleted the person; only its own notice, only once.

    Another provider's notice is refused as unknown (404): the answer must not tell one
    provider which notices another has. A second acknowledgement changes nothing and says when
    the first one was (409).
    """
    notice = repository.locked_notice(session, notice_id)
    if notice is None or notice.provider_id != provider_id:
        raise NoticeUnknown(f"no deletion notice {notice_id} for this provider")
    if notice.acknowledged_at is not None:
        raise NoticeAlreadyAcknowledged(as_utc(notice.acknowledged_at))
    notice.acknowledged_at = as_utc(at)
    notice.acknowledged_by = actor[:200]
    session.flush()
    return notice


def escalate(
    session: Session, *, at: datetime, board_id: uuid.UUID | None = None
) -> list[DeletionNotice]:
    """Mark every overdue, unacknowledged notice escalated once, and tell the board.

    The mail goes to the board's contact address (``KOPPELVLAK_NOTICE_ESCALATION_TO`` until
    boards carry one) after the unit of work commits; without an address it is logged. It
    names counts, providers and notice ids, never a person.
    """
    at = as_utc(at)
    due = list(repository.unescalated_overdue(session, at, board_id))
    for notice in due:
        notice.escalated_at = at
    by_board: dict[uuid.UUID, list[DeletionNotice]] = {}
    for notice in due:
        by_board.setdefault(notice.board_id, []).append(notice)
    for board, notices in by_board.items():
        _tell_board(session, board, notices)
    session.flush()
    return due


def _contact(session: Session, board_id: uuid.UUID) -> str | None:
    from koppelvlak.config import get_settings
    from koppelvlak.roster.models import Board

    board = session.get(Board, board_id)
    own = getattr(board, "contact_email", None) if board is not None else None
    return own or get_settings().notice_escalation_to


def _tell_board(session: Session, board_id: uuid.UUID, notices: Sequence[DeletionNotice]) -> None:
    lines = [
        f"- notice {n.id}: provider {n.provider_id}, reason {n.reason}, due {n.due_at:%Y-%m-%d}"
        for n in notices
    ]
    text = (
        f"{len(notices)} deletion notice(s) passed their deadline without an acknowledgement "
        "from the provider. Ask the provider to delete the data and acknowledge:\n\n"
        + "\n".join(lines)
        + "\n"
    )
    to = _contact(session, board_id)
    if to is None:
        log.warning(
            "deletion notices overdue without a contact to mail",
            extra={"board_id": str(board_id), "notices": len(notices)},
        )
        return
    mail.send_after_commit(
        session, mail.Mail(to=to, subject="Koppelvlak: deletion notices overdue", text=text)
    )
