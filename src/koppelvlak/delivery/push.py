"""Push connections: the release, then its changes, and deletion notices, to the provider's URL.

A connection is delivered by push once an admin registers the provider's endpoint for it
(``register``): HTTPS, or plain HTTP to a loopback address where a setting allows it (tests).
Its kept release is the source: the first delivery after registration or approval carries
every active object (``enqueue_release``), each later one the objects whose kept version moved
since the last delivery, ``tobedeleted`` tombstones included (``enqueue_changes``) — OneRoster
1.2 objects with ``status`` and ``dateLastModified``, exactly as the pull API renders them. Both
run in the transaction that changed the kept release, so the push follows every change and the
scheduled refresh (the worker's) alike. See ADR 0102.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from koppelvlak.connections import repository as connection_repository
from koppelvlak.connections.models import Connection, ConnectionState
from koppelvlak.delivery import outbox, repository, signing
from koppelvlak.delivery.errors import EndpointRefused
from koppelvlak.delivery.models import DeletionNotice, PushRegistration
from koppelvlak.kit.clock import as_utc
from koppelvlak.mandates import service as mandates
from koppelvlak.release.oneroster import BASE_PATH

CHUNK = 500
"""Objects per delivery: a whole school's release is split, each part its own delivery id."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_loopback_http: bool = False) -> str:
    """An HTTPS URL, or plain HTTP on loopback when ``KOPPELVLAK_DELIVERY_ALLOW_LOOPBACK_HTTP``."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        raise EndpointRefused("the push endpoint must be an absolute URL without credentials")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _loopback(parts.hostname) and allow_loopback_http:
        return url
    raise EndpointRefused("the push endpoint must use HTTPS")


def register(
    session: Session,
    *,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    url: str,
    actor: str,
    at: datetime,
    allow_loopback_http: bool = False,
) -> PushRegistration:
    """Deliver this connection by push to ``url``; an active one gets its full release now."""
    connection = connection_repository.connection_in_board(session, board_id, connection_id)
    if connection is None:
        from koppelvlak.errors import NotFound

        raise NotFound(f"no connection {connection_id} in this board")
    at = as_utc(at)
    found = repository.registration(session, connection_id)
    if found is None:
        found = PushRegistration(
            connection_id=connection_id,
            board_id=board_id,
            provider_id=connection.provider_id,
            url=check_url(url, allow_loopback_http=allow_loopback_http),
            registered_at=at,
            registered_by=actor[:200],
            pushed_version=-1,
        )
        session.add(found)
    else:
        found.url, found.registered_at, found.registered_by = (
            check_url(url, allow_loopback_http=allow_loopback_http),
            at,
            actor[:200],
        )
    signing.ensure_key(session, connection.provider_id, at)
    session.flush()
    if connection.state == ConnectionState.ACTIVE:
        enqueue_release(session, connection, at)
    return found


def enqueue_release(session: Session, connection: Connection, at: datetime) -> list[uuid.UUID]:
    """THE place a full push of a connection's release is about to be enqueued.

    Every check that may refuse a push (a mandate for the service, issue 12) belongs here,
    before anything is written. Returns the delivery ids written (none without registration).
    """
    registration = repository.registration(session, connection.id)
    head = repository.kept_head(session, connection.id)
    if registration is None or head is None:
        return []
    if not _mandated(session, connection, at):
        return []
    rows = repository.kept_since(session, connection.id, -1, active_only=True)
    ids = _enqueue_objects(session, registration, head.version, rows, kind="release", at=at)
    registration.pushed_version = head.version
    return ids


def _mandated(session: Session, connection: Connection, at: datetime) -> bool:
    """A connection with a service (the final-test rule) pushes only under a valid mandate; a
    refusal is recorded for the school and nothing is enqueued (issue 12, ADR 0107)."""
    return mandates.check_connection(
        session, connection_id=connection.id, school_id=connection.school_id, at=at
    )


def enqueue_changes(session: Session, moved: Mapping[uuid.UUID, int], at: datetime) -> None:
    """For every push connection whose kept release moved: what changed since the last push."""
    for registration in repository.registrations(session, moved.keys()):
        connection = connection_repository.connection(session, registration.connection_id)
        if connection is None:
            continue
        if registration.pushed_version < 0:
            if connection.state == ConnectionState.ACTIVE:
                enqueue_release(session, connection, at)
            continue
        head = repository.kept_head(session, connection.id)
        if head is None or head.version <= registration.pushed_version:
            continue
        if not _mandated(session, connection, at):
            continue  # the changes wait, unpushed, until a valid mandate (ADR 0107)
        rows = repository.kept_since(
            session, connection.id, registration.pushed_version, active_only=False
        )
        _enqueue_objects(session, registration, head.version, rows, kind="changes", at=at)
        registration.pushed_version = head.version


def _enqueue_objects(
    session: Session,
    registration: PushRegistration,
    version: int,
    rows: Sequence[tuple[str, str, uuid.UUID | None, str]],
    *,
    kind: str,
    at: datetime,
) -> list[uuid.UUID]:
    head = repository.kept_head(session, registration.connection_id)
    attributes = frozenset(json.loads(head.attribute_ids)) if head is not None else frozenset()
    parts = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)] or [[]]
    ids: list[uuid.UUID] = []
    for number, part in enumerate(parts, start=1):
        objects: dict[str, list[object]] = {}
        for collection, _key, _person, body in part:
            objects.setdefault(collection, []).append(json.loads(body))
        row = outbox.enqueue(
            session,
            board_id=registration.board_id,
            connection_id=registration.connection_id,
            provider_id=registration.provider_id,
            kind=kind,
            url=registration.url,
            document={
                "connectionId": str(registration.connection_id),
                "version": version,
                "part": number,
                "parts": len(parts),
                "basePath": BASE_PATH,
                "objects": objects,
            },
            person_ids=frozenset(p for _c, _k, p, _b in part if p is not None),
            attribute_ids=attributes,
            at=at,
        )
        ids.append(row.id)
    return ids


def enqueue_notice(session: Session, notice: DeletionNotice) -> uuid.UUID | None:
    """A deletion notice of a push connection is pushed as well (it is also listable)."""
    registration = repository.registration(session, notice.connection_id)
    if registration is None:
        return None
    row = outbox.enqueue(
        session,
        board_id=notice.board_id,
        connection_id=notice.connection_id,
        provider_id=notice.provider_id,
        kind="notice",
        url=registration.url,
        document={"notice": notice_document(notice)},
        person_ids=frozenset({notice.person_id}),
        attribute_ids=frozenset(),
        at=as_utc(notice.created_at),
    )
    return row.id


def notice_document(notice: DeletionNotice) -> dict[str, str | None]:
    """A notice as the provider sees it: the pseudonym it knows, the reason category, times."""
    acknowledged = notice.acknowledged_at
    return {
        "id": str(notice.id),
        "connectionId": str(notice.connection_id),
        "sourcedId": notice.pseudonym,
        "reason": notice.reason,
        "createdAt": as_utc(notice.created_at).isoformat(),
        "dueAt": as_utc(notice.due_at).isoformat(),
        "acknowledgedAt": None if acknowledged is None else as_utc(acknowledged).isoformat(),
        "ack": f"/notices/{notice.id}/ack",
    }


def admin_document(notice: DeletionNotice) -> dict[str, str | None]:
    """A notice as the school's admin sees it: with the provider and any escalation."""
    view = {k: v for k, v in notice_document(notice).items() if k != "ack"}
    view["providerId"] = str(notice.provider_id)
    escalated = notice.escalated_at
    view["escalatedAt"] = None if escalated is None else as_utc(escalated).isoformat()
    return view
