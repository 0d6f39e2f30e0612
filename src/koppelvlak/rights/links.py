"""Signed request links: the person, or a guardian of a child, files an access or objection
request without an account.

A link is a ``kit.links`` token for the purpose ``rights-request`` whose claims name the board,
the person, the kind of request and who it is for (the person or one guardian); the form can
change none of them, so a link made for one child never files for another. It expires (14
days by default) and works once: the token's ``jti`` is stored with the request it filed.
The form's CSRF token is bound to that ``jti`` (``kit.csrf``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from koppelvlak.connections.models import PersonKindColumn
from koppelvlak.kit import csrf, links
from koppelvlak.kit.clock import as_utc
from koppelvlak.rights import repository, requests
from koppelvlak.rights.errors import InvalidRequest, LinkUsed, PersonNotFound
from koppelvlak.rights.models import RequestChannel, RequestKind, RightsRequest, UsedRightsLink

PURPOSE = "rights-request"
LINK_KINDS = frozenset({RequestKind.ACCESS, RequestKind.OBJECTION})
DEFAULT_VALID = timedelta(days=14)
MAX_VALID = timedelta(days=60)


@dataclass(frozen=True)
class LinkClaims:
    board_id: uuid.UUID
    person_id: uuid.UUID
    kind: RequestKind
    filed_by: str  # "person" or "guardian:<id>"
    provider_id: uuid.UUID | None
    jti: str


@dataclass(frozen=True, repr=False)
class IssuedLink:
    token: str
    expires_at: datetime

    def url(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}/rights/links/{self.token}"

    def __repr__(self) -> str:
        return f"IssuedLink(expires_at={self.expires_at.isoformat()}, token=<hidden>)"


def _key(session_key: bytes) -> bytes:
    return links.derive_key(session_key, PURPOSE)


def make_link(
    session: Session,
    session_key: bytes,
    board_id: uuid.UUID,
    person_id: uuid.UUID,
    kind: RequestKind,
    *,
    at: datetime,
    guardian_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    valid_for: timedelta = DEFAULT_VALID,
) -> IssuedLink:
    """A link for the person (or, with ``guardian_id``, a guardian of the child) to file with."""
    if kind not in LINK_KINDS:
        raise InvalidRequest(f"a link files access or objection requests only, not {kind}")
    if not timedelta(minutes=5) <= valid_for <= MAX_VALID:
        raise InvalidRequest("a link is valid for at least 5 minutes and at most 60 days")
    person_kind = requests.person_kind(session, board_id, person_id)
    filed_by = "person"
    if guardian_id is not None:
        if person_kind is not PersonKindColumn.STUDENT or not repository.is_guardian_of(
            session, board_id, guardian_id, person_id
        ):
            raise PersonNotFound(f"no guardian {guardian_id} of this student in this board")
        filed_by = f"guardian:{guardian_id}"
    if provider_id is not None and not repository.provider_in_board(session, board_id, provider_id):
        raise InvalidRequest(f"provider {provider_id} has no connection in this board")
    claims = {
        "board": str(board_id),
        "person": str(person_id),
        "kind": kind.value,
        "by": filed_by,
        "provider": "" if provider_id is None else str(provider_id),
    }
    expires_at = as_utc(at) + valid_for
    return IssuedLink(links.sign(_key(session_key), PURPOSE, claims, expires_at), expires_at)


def read_link(session: Session, session_key: bytes, token: str, at: datetime) -> LinkClaims:
    """The claims of a valid, unexpired, unused link (400 altered, 410 expired or used)."""
    claims = links.verify(_key(session_key), token, PURPOSE, as_utc(at))
    try:
        read = LinkClaims(
            board_id=uuid.UUID(claims["board"]),
            person_id=uuid.UUID(claims["person"]),
            kind=RequestKind(claims["kind"]),
            filed_by=claims["by"],
            provider_id=uuid.UUID(claims["provider"]) if claims.get("provider") else None,
            jti=claims["jti"],
        )
    except (KeyError, ValueError):
        raise links.LinkInvalid("the link is incomplete or malformed") from None
    if repository.used_link(session, read.jti) is not None:
        raise LinkUsed("this link has already been used; ask the school for a new one")
    return read


def form_token(session_key: bytes, claims: LinkClaims) -> str:
    return csrf.issue(_key(session_key), f"rights-link:{claims.jti}")


def file_by_link(
    session: Session,
    session_key: bytes,
    token: str,
    *,
    at: datetime,
    form_token: str | None,
    contact_email: str | None = None,
    details: str | None = None,
    dpo_email: str | None = None,
) -> RightsRequest:
    """File the link's request once; the link is spent in the same transaction."""
    claims = read_link(session, session_key, token, at)
    csrf.check(_key(session_key), f"rights-link:{claims.jti}", form_token)
    filing = requests.Filing(
        kind=claims.kind,
        person_id=claims.person_id,
        actor=claims.filed_by,
        channel=RequestChannel.LINK,
        provider_id=claims.provider_id,
        contact_email=(contact_email or "").strip() or None,
        details=(details or "").strip() or None,
    )
    request = requests.file_request(session, claims.board_id, filing, at=at, dpo_email=dpo_email)
    session.add(
        UsedRightsLink(
            jti=claims.jti, board_id=claims.board_id, request_id=request.id, used_at=as_utc(at)
        )
    )
    try:
        session.flush()
    except IntegrityError:  # the same link sent twice at once: one of them wins
        raise LinkUsed("this link has already been used; ask the school for a new one") from None
    return request
