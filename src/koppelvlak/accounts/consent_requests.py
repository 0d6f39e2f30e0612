"""Consent requests to guardians: an e-mail with a signed link per child and connection.

The link (``kit.links``, purpose ``consent``) carries only the request's id; the row says which
child, which connection and which guardian, so the link is bound to all three and cannot be
turned to another child. It expires after ``LINK_DAYS``. Each action is single-use: one decision
(grant or refuse), then, after a grant, one withdrawal. The decision goes through
``connections.exceptions.record_consent``, the same function the admin API calls, so the kept
release follows in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from koppelvlak.accounts import repository
from koppelvlak.accounts.errors import ConsentLinkUsed, ConsentRequestNotFound, InvalidAccount
from koppelvlak.accounts.models import ConsentRequest
from koppelvlak.catalogue import service as catalogue
from koppelvlak.catalogue.models import LawfulBasis
from koppelvlak.connections import exceptions
from koppelvlak.connections import service as connections
from koppelvlak.connections.models import ConsentState
from koppelvlak.kit import links
from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.mail import Mail, send_after_commit
from koppelvlak.providers import service as providers

PURPOSE = "consent"
LINK_DAYS = 30
_STATES = {"grant": ConsentState.GIVEN, "refuse": ConsentState.REFUSED}


def send_requests(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    link_key: bytes,
    base_url: str,
    actor: str,
    at: datetime,
    student_id: uuid.UUID | None = None,
) -> int:
    """Mail every guardian (with an e-mail) of the students without a decision; how many mails.

    With ``student_id``: only that child's guardians, whatever was decided before.
    """
    connection = connections.get(session, board_id, connection_id)
    view = connections.view(session, connection, at)
    if view.lawful_basis != LawfulBasis.CONSENT.value:
        raise InvalidAccount(f"{view.app_name} does not rest on consent; nothing to ask")
    students = (
        frozenset({student_id})
        if student_id is not None
        else repository.students_without_decision(
            session, board_id, connection.school_id, connection.provider_id
        )
    )
    expires = at + timedelta(days=LINK_DAYS)
    sent = 0
    for child, given_name, guardian, email in repository.guardians_to_ask(
        session, board_id, connection.school_id, students
    ):
        request = ConsentRequest(
            board_id=board_id,
            connection_id=connection.id,
            student_id=child,
            guardian_id=guardian,
            sent_by=actor,
            sent_at=at,
            expires_at=expires,
        )
        session.add(request)
        session.flush()
        token = links.sign(link_key, PURPOSE, {"request": str(request.id)}, expires)
        send_after_commit(session, _mail(email, view.app_name, given_name, base_url, token))
        sent += 1
    return sent


def _mail(to: str, app: str, child: str | None, base_url: str, token: str) -> Mail:
    link = f"{base_url.rstrip('/')}/consent/{token}"
    name = child or "uw kind"
    text = (
        f"Beste ouder of verzorger,\n\nDe school vraagt uw toestemming om gegevens van {name} "
        f"te delen met {app}. Op deze pagina ziet u welke gegevens en waarvoor, en kiest u:\n\n"
        f"{link}\n\nDe link is {LINK_DAYS} dagen geldig.\n\n"
        f"Dear parent or guardian, the school asks your consent to share data about {name} "
        f"with {app}. The page above shows what and why, and lets you decide."
    )
    return Mail(to=to, subject=f"Toestemming gevraagd: {app}", text=text)


@dataclass(frozen=True)
class AttributeLine:
    attribute_id: str
    description_nl: str
    description_en: str


@dataclass(frozen=True)
class ConsentPage:
    """What a guardian sees: the app, why, which data in plain words, and what they may do."""

    request_id: uuid.UUID
    child: str
    app: str
    provider: str
    privacy_statement_url: str
    purpose_nl: str
    purpose_en: str
    purpose_statement: str | None
    attributes: tuple[AttributeLine, ...]
    current: str | None  # given | refused | withdrawn | None
    actions: tuple[str, ...]  # of grant, refuse, withdraw


def request_of_link(session: Session, link_key: bytes, token: str, at: datetime) -> ConsentRequest:
    claims = links.verify(link_key, token, PURPOSE, at)
    try:
        request_id = uuid.UUID(claims.get("request", ""))
    except ValueError:
        raise links.LinkInvalid("the link is incomplete or malformed") from None
    request = repository.consent_request(session, request_id)
    if request is None:
        raise ConsentRequestNotFound("this consent request no longer exists")
    return request


def page(session: Session, request: ConsentRequest, at: datetime) -> ConsentPage:
    connection = connections.get(session, request.board_id, request.connection_id)
    version = providers.dataset_version_view(session, connection.dataset_version_id)
    provider = providers.get_provider(session, connection.provider_id)
    purpose = catalogue.purpose(session, version.purpose_code)
    known = catalogue.attributes(session)
    lines = tuple(
        AttributeLine(a, known[a].description_nl, known[a].description_en)
        for a in sorted(version.attribute_ids)
        if a in known
    )
    current = exceptions.current_consent(
        session, request.board_id, connection.provider_id, request.student_id
    )
    return ConsentPage(
        request_id=request.id,
        child=repository.student_given_name(session, request.board_id, request.student_id),
        app=connections.view(session, connection, at).app_name,
        provider=provider.name,
        privacy_statement_url=provider.privacy_statement_url,
        purpose_nl=purpose.description_nl,
        purpose_en=purpose.description_en,
        purpose_statement=version.purpose_statement,
        attributes=lines,
        current=current.state if current else None,
        actions=allowed_actions(request),
    )


def allowed_actions(request: ConsentRequest) -> tuple[str, ...]:
    if request.decision is None:
        return ("grant", "refuse")
    if request.decision == "grant" and request.withdrawn_at is None:
        return ("withdraw",)
    return ()


def decide(session: Session, request: ConsentRequest, action: str, at: datetime) -> str:
    """Record the guardian's decision (the release follows at once); the state recorded."""
    if action not in allowed_actions(request):
        raise ConsentLinkUsed(
            "this link has been used for that already; ask the school for a new link"
        )
    if as_utc(request.expires_at) <= as_utc(at):
        raise links.LinkExpired("the link has expired; ask the school for a new one")
    connection = connections.get(session, request.board_id, request.connection_id)
    state = _STATES.get(action, ConsentState.WITHDRAWN)
    exceptions.record_consent(
        session,
        request.board_id,
        connection.provider_id,
        request.student_id,
        state,
        decided_by=exceptions.guardian_name(session, request.board_id, request.guardian_id),
        at=at,
    )
    if action == "withdraw":
        request.withdrawn_at = at
    else:
        request.decision, request.decided_at = action, at
    session.flush()
    return state.value
