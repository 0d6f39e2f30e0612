"""Incident use cases: a provider reports, the school sees it at once, the DPO assesses it.

A report is checked whole before anything is stored: every named connection must be the
reporting provider's, or the answer is 404 for the first that is not and nothing is kept.
One incident row per board the connections belong to, so each board sees only its own. The
board's incident recipient (if set) gets a mail after commit; the mail names the provider,
the kind and counts, never a person.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.connections import repository as connection_repository
from koppelvlak.incidents import repository
from koppelvlak.incidents.clock import art33_clock
from koppelvlak.incidents.errors import (
    IncidentConnectionNotFound,
    IncidentNotFound,
    InvalidIncident,
)
from koppelvlak.incidents.models import (
    Incident,
    IncidentConnection,
    IncidentKind,
    IncidentRecipient,
)
from koppelvlak.incidents.schemas import AffectedPeople, IncidentDetail, IncidentView
from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.mail import Mail, send_after_commit
from koppelvlak.providers import repository as providers

MAX_SUMMARY = 4000
MAX_CONNECTIONS = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def report(
    session: Session,
    *,
    provider_id: uuid.UUID,
    reported_by: str,
    kind: IncidentKind,
    summary: str,
    connection_ids: list[uuid.UUID],
    started_at: datetime | None,
    at: datetime,
) -> list[IncidentView]:
    """Store the report for each board concerned; mail each board's recipient after commit."""
    text = summary.strip()
    if not text or len(text) > MAX_SUMMARY:
        raise InvalidIncident(f"the summary has 1 to {MAX_SUMMARY} characters")
    if not connection_ids or len(connection_ids) > MAX_CONNECTIONS:
        raise InvalidIncident(f"name 1 to {MAX_CONNECTIONS} of your connections")
    if started_at is not None and as_utc(started_at) > as_utc(at):
        raise InvalidIncident("the incident cannot start after it is reported")
    by_board: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for connection_id in dict.fromkeys(connection_ids):
        connection = connection_repository.connection(session, connection_id)
        if connection is None or connection.provider_id != provider_id:
            raise IncidentConnectionNotFound(f"no connection with id {connection_id} of yours")
        by_board[connection.board_id].append(connection_id)
    stored: list[IncidentView] = []
    for board_id, ids in by_board.items():
        incident = Incident(
            board_id=board_id,
            provider_id=provider_id,
            kind=kind,
            summary=text,
            started_at=started_at,
            reported_at=at,
            reported_by=reported_by,
        )
        session.add(incident)
        session.flush()
        for connection_id in ids:
            session.add(
                IncidentConnection(
                    board_id=board_id, incident_id=incident.id, connection_id=connection_id
                )
            )
        session.flush()
        view = _view(session, incident, at)
        _mail(session, board_id, view)
        stored.append(view)
    return stored


def _mail(session: Session, board_id: uuid.UUID, view: IncidentView) -> None:
    recipient = repository.recipient(session, board_id)
    if recipient is None:
        return
    kind = view.kind.replace("_", " ")
    send_after_commit(
        session,
        Mail(
            to=recipient.email,
            subject=f"Incident reported by {view.provider}: {kind}",
            text=(
                f"{view.provider} reported a {kind} at {view.reported_at.isoformat()} "
                f"for {len(view.connection_ids)} connection(s).\n\n"
                f"Incident: {view.incident_id}\n"
                f"Summary: {view.summary}\n\n"
                f"GDPR art. 33: {view.clock.text} "
                f"(deadline {view.clock.deadline.isoformat()}).\n"
                f"See: koppelvlak incident show {view.incident_id}\n"
            ),
        ),
    )


def incidents(session: Session, board_id: uuid.UUID, at: datetime) -> list[IncidentView]:
    return [_view(session, i, at) for i in repository.incidents_of_board(session, board_id)]


def show(
    session: Session, board_id: uuid.UUID, incident_id: uuid.UUID, at: datetime
) -> IncidentDetail:
    incident = _get(session, board_id, incident_id)
    view = _view(session, incident, at)
    return IncidentDetail(view, _affected(session, incident, set(view.connection_ids)))


def assess(
    session: Session,
    board_id: uuid.UUID,
    incident_id: uuid.UUID,
    *,
    assessment: str,
    notifiable: bool,
    authority_notified_at: datetime | None,
    authority_reference: str | None,
    actor: str,
    at: datetime,
) -> IncidentView:
    """The DPO's assessment, and whether and when the authority was notified."""
    incident = _get(session, board_id, incident_id)
    text = assessment.strip()
    if not text or len(text) > MAX_SUMMARY:
        raise InvalidIncident(f"the assessment has 1 to {MAX_SUMMARY} characters")
    if authority_notified_at is not None:
        if not notifiable:
            raise InvalidIncident("an incident assessed as not notifiable was not notified")
        if as_utc(authority_notified_at) < as_utc(incident.reported_at):
            raise InvalidIncident("the authority cannot be notified before the report")
        if as_utc(authority_notified_at) > as_utc(at):
            raise InvalidIncident("the notification moment is in the future")
    incident.assessment, incident.notifiable = text, notifiable
    incident.assessed_by, incident.assessed_at = actor, at
    incident.authority_notified_at = authority_notified_at
    incident.authority_reference = (authority_reference or "").strip()[:200] or None
    session.flush()
    return _view(session, incident, at)


def set_recipient(
    session: Session, board_id: uuid.UUID, email: str, *, actor: str, at: datetime
) -> str:
    address = email.strip()
    if len(address) > 256 or not _EMAIL.match(address):
        raise InvalidIncident(f"{address[:64]!r} is not a mail address")
    found = repository.recipient(session, board_id)
    if found is None:
        found = IncidentRecipient(board_id=board_id)
        session.add(found)
    found.email, found.set_by, found.set_at = address, actor, at
    session.flush()
    return address


def _get(session: Session, board_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    incident = repository.incident_in_board(session, board_id, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident with id {incident_id} in this board")
    return incident


def _affected(
    session: Session, incident: Incident, connection_ids: set[uuid.UUID]
) -> AffectedPeople:
    disclosures = [
        d
        for d in audit.disclosures_for_provider(session, incident.board_id, incident.provider_id)
        if d.connection_id in connection_ids
    ]
    people = sorted({p for d in disclosures for p in d.person_ids})
    return AffectedPeople(
        person_ids=tuple(people),
        erased=sum(d.erased_people for d in disclosures),
        disclosures=len(disclosures),
    )


def _view(session: Session, incident: Incident, at: datetime) -> IncidentView:
    provider = providers.provider(session, incident.provider_id)
    assert provider is not None  # foreign key
    return IncidentView(
        incident_id=incident.id,
        provider=provider.name,
        kind=incident.kind.value,
        summary=incident.summary,
        started_at=None if incident.started_at is None else as_utc(incident.started_at),
        reported_at=as_utc(incident.reported_at),
        reported_by=incident.reported_by,
        connection_ids=tuple(repository.connection_ids(session, incident.id)),
        assessment=incident.assessment,
        notifiable=incident.notifiable,
        assessed_by=incident.assessed_by,
        assessed_at=None if incident.assessed_at is None else as_utc(incident.assessed_at),
        authority_notified_at=(
            None
            if incident.authority_notified_at is None
            else as_utc(incident.authority_notified_at)
        ),
        authority_reference=incident.authority_reference,
        clock=art33_clock(
            incident.reported_at,
            at,
            notifiable=incident.notifiable,
            notified_at=incident.authority_notified_at,
        ),
    )
