"""The workflow of a data-subject request: received → identity checked → approved or refused
→ carried out, with a deadline, one extension, reminders, and every step recorded.

A request has one month from receipt (GDPR art. 12(3)); the DPO may extend it once, by two
further months, with a reason. Each step writes a ``rights_request_event`` naming who took it,
in the same transaction as the change it records, and queues its mail for after the commit.
Carrying out is in ``rights.actions``; this module only moves the request along.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from koppelvlak.connections.models import PersonKindColumn
from koppelvlak.kit.clock import as_utc
from koppelvlak.rights import mail, repository
from koppelvlak.rights.errors import (
    DuplicateRequest,
    InvalidRequest,
    PersonNotFound,
    ReasonRequired,
    RequestNotFound,
    StepRefused,
)
from koppelvlak.rights.models import (
    RequestChannel,
    RequestKind,
    RequestState,
    RightsRequest,
    RightsRequestEvent,
)

DEADLINE_MONTHS = 1
EXTENSION_MONTHS = 2
REMIND_DAYS = 7
MAX_TEXT = 2_000

# Which state each step starts from and leads to.
STEPS: dict[str, tuple[frozenset[RequestState], RequestState]] = {
    "check_identity": (frozenset({RequestState.RECEIVED}), RequestState.IDENTITY_CHECKED),
    "approve": (frozenset({RequestState.IDENTITY_CHECKED}), RequestState.APPROVED),
    "refuse": (
        frozenset({RequestState.RECEIVED, RequestState.IDENTITY_CHECKED, RequestState.APPROVED}),
        RequestState.REFUSED,
    ),
    "carry_out": (frozenset({RequestState.APPROVED}), RequestState.CARRIED_OUT),
}
CLOSED = frozenset({RequestState.REFUSED, RequestState.CARRIED_OUT})


@dataclass(frozen=True)
class Filing:
    """What whoever files a request says: the kind, the person, and how to reach them."""

    kind: RequestKind
    person_id: uuid.UUID
    actor: str
    channel: RequestChannel = RequestChannel.ADMIN
    provider_id: uuid.UUID | None = None
    contact_email: str | None = None
    details: str | None = None


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day (31 January + 1 → 28/29 February)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def person_kind(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> PersonKindColumn:
    """The person's kind; another board's person is as unknown as one that never existed."""
    kind = repository.person_kind_of(session, board_id, person_id)
    if kind is None:
        raise PersonNotFound(f"no student or staff member with id {person_id} in this board")
    return kind


def file_request(
    session: Session,
    board_id: uuid.UUID,
    filing: Filing,
    *,
    at: datetime,
    dpo_email: str | None = None,
) -> RightsRequest:
    """Record a new request; one open request per person and kind (a second answers 409)."""
    kind = person_kind(session, board_id, filing.person_id)
    _check_filing(session, board_id, filing)
    existing = repository.open_request(session, board_id, filing.person_id, filing.kind)
    if existing is not None:
        raise DuplicateRequest(
            f"an {filing.kind} request for this person is already open ({existing.id}, "
            f"{existing.state}); handle that one first"
        )
    at = as_utc(at)
    request = RightsRequest(
        board_id=board_id,
        kind=filing.kind,
        state=RequestState.RECEIVED,
        channel=filing.channel,
        person_kind=kind,
        person_id=filing.person_id,
        provider_id=filing.provider_id,
        filed_by=filing.actor,
        contact_email=filing.contact_email,
        details=filing.details,
        received_at=at,
        deadline=add_months(at, DEADLINE_MONTHS),
    )
    session.add(request)
    session.flush()
    _event(
        session,
        request,
        "filed",
        actor=filing.actor,
        at=at,
        before=None,
        after=RequestState.RECEIVED,
        reason=None,
    )
    mail.to_requester(session, request, "received")
    mail.to_dpo(session, request, "new_request", dpo_email)
    return request


def _check_filing(session: Session, board_id: uuid.UUID, filing: Filing) -> None:
    if filing.provider_id is not None:
        if filing.kind not in (RequestKind.OBJECTION, RequestKind.RESTRICTION):
            raise InvalidRequest("only an objection or a restriction names a provider")
        if not repository.provider_in_board(session, board_id, filing.provider_id):
            raise InvalidRequest(f"provider {filing.provider_id} has no connection in this board")
    if filing.contact_email is not None and not _looks_like_address(filing.contact_email):
        raise InvalidRequest(f"{filing.contact_email!r} is not an e-mail address")
    if filing.details is not None and len(filing.details) > MAX_TEXT:
        raise InvalidRequest(f"the details are longer than {MAX_TEXT} characters")


def _looks_like_address(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(local) and bool(at) and "." in domain and len(value) <= 256 and " " not in value


def get(session: Session, board_id: uuid.UUID, request_id: uuid.UUID) -> RightsRequest:
    found = repository.request(session, board_id, request_id)
    if found is None:
        raise RequestNotFound(f"no rights request with id {request_id} in this board")
    return found


def subject_of(request: RightsRequest) -> uuid.UUID:
    """The person a request is about; none once that person has been erased."""
    if request.person_id is None:
        raise StepRefused("the person of this request has been erased; nothing about them is left")
    return request.person_id


def forget_person(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> int:
    """After an erasure: the person's requests keep only that they were made and handled.

    The person's id, the address given and the free-text details go; kind, dates, steps and
    outcome stay as the record the law requires (art. 5(2), accountability).
    """
    found = repository.requests_of_person(session, board_id, person_id)
    for request in found:
        request.person_id, request.contact_email, request.details = None, None, None
    session.flush()
    return len(found)


def events(
    session: Session, board_id: uuid.UUID, request_id: uuid.UUID
) -> list[RightsRequestEvent]:
    return repository.events(session, get(session, board_id, request_id).id)


def requests_of_board(
    session: Session, board_id: uuid.UUID, *, open_only: bool = False
) -> list[RightsRequest]:
    states = repository.OPEN_STATES if open_only else None
    return repository.requests_of_board(session, board_id, states)


def check_identity(
    session: Session,
    board_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> RightsRequest:
    """The school has made sure the requester is the person, or a guardian of the child."""
    return _step(
        session, board_id, request_id, "check_identity", actor=actor, at=at, reason=_text(note)
    )


def approve(
    session: Session, board_id: uuid.UUID, request_id: uuid.UUID, *, actor: str, at: datetime
) -> RightsRequest:
    request = _step(session, board_id, request_id, "approve", actor=actor, at=at, reason=None)
    mail.to_requester(session, request, "approved")
    return request


def refuse(
    session: Session,
    board_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> RightsRequest:
    """Refuse with a reason the requester is told (art. 12(4)); no reason, no refusal."""
    reason = _required(reason, "a refusal needs a reason; the requester is told it")
    request = get(session, board_id, request_id)
    require_step(request, "refuse")
    request.refusal_reason = reason
    _move(session, request, "refuse", actor=actor, at=at, reason=reason)
    mail.to_requester(session, request, "refused")
    return request


def extend(
    session: Session,
    board_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> RightsRequest:
    """Extend the deadline once, by two months, with a reason (art. 12(3))."""
    reason = _required(reason, "an extension needs a reason; the requester is told it")
    request = get(session, board_id, request_id)
    if request.state in CLOSED:
        raise StepRefused(f"the request is {request.state}; a closed request has no deadline")
    if request.extended_at is not None:
        raise StepRefused("the deadline was already extended once; it cannot be extended again")
    at = as_utc(at)
    request.extended_at, request.extension_reason = at, reason
    request.deadline = add_months(as_utc(request.deadline), EXTENSION_MONTHS)
    request.reminded_at = None  # the new deadline earns its own reminder
    session.flush()
    _event(
        session,
        request,
        "extend",
        actor=actor,
        at=at,
        before=request.state,
        after=request.state,
        reason=reason,
    )
    return request


def finish(
    session: Session, request: RightsRequest, *, actor: str, at: datetime, outcome: str
) -> RightsRequest:
    """Mark an approved request carried out (``rights.actions`` calls this once it is done)."""
    require_step(request, "carry_out")
    request.outcome = outcome
    _move(session, request, "carry_out", actor=actor, at=at, reason=outcome)
    mail.to_requester(session, request, "done")
    return request


def remind(
    session: Session,
    board_id: uuid.UUID,
    *,
    at: datetime,
    dpo_email: str | None,
    within: timedelta = timedelta(days=REMIND_DAYS),
) -> list[RightsRequest]:
    """Mail the DPO about every open request whose deadline is near; once per deadline."""
    at = as_utc(at)
    due = repository.due_requests(session, board_id, at + within)
    for request in due:
        request.reminded_at = at
        mail.to_dpo(session, request, "deadline", dpo_email)
    session.flush()
    return due


def _step(
    session: Session,
    board_id: uuid.UUID,
    request_id: uuid.UUID,
    step: str,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> RightsRequest:
    request = get(session, board_id, request_id)
    require_step(request, step)
    _move(session, request, step, actor=actor, at=at, reason=reason)
    return request


def require_step(request: RightsRequest, step: str) -> None:
    sources, target = STEPS[step]
    if request.state not in sources:
        needed = " or ".join(sorted(s.value for s in sources))
        raise StepRefused(f"the request is {request.state}; it must be {needed} to become {target}")


def _move(
    session: Session,
    request: RightsRequest,
    step: str,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> None:
    before, (_, target) = request.state, STEPS[step]
    request.state = target
    if target in CLOSED:
        request.closed_at = as_utc(at)
    session.flush()
    _event(
        session,
        request,
        step,
        actor=actor,
        at=as_utc(at),
        before=before,
        after=target,
        reason=reason,
    )


def _event(
    session: Session,
    request: RightsRequest,
    action: str,
    *,
    actor: str,
    at: datetime,
    before: RequestState | None,
    after: RequestState | None,
    reason: str | None,
) -> None:
    session.add(
        RightsRequestEvent(
            board_id=request.board_id,
            request_id=request.id,
            seq=repository.last_seq(session, request.id) + 1,
            at=at,
            actor=actor,
            action=action,
            from_state=None if before is None else before.value,
            to_state=None if after is None else after.value,
            reason=reason,
        )
    )
    session.flush()


def _required(value: str | None, message: str) -> str:
    text = _text(value)
    if text is None:
        raise ReasonRequired(message)
    return text


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"the text is longer than {MAX_TEXT} characters")
    return value.strip()


def remind_every_board(
    session: Session, *, at: datetime, dpo_email: str | None
) -> list[RightsRequest]:
    """``remind`` for every board: the embedded ``serve``'s refresh round and ``rights remind``."""
    return [
        request
        for board_id in repository.board_ids(session)
        for request in remind(session, board_id, at=at, dpo_email=dpo_email)
    ]
