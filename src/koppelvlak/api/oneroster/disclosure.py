"""Answer one OneRoster read: authorise, resolve, render, page, record in the ledger, commit.

The order is the point (DESIGN invariant 1): the response bytes are built inside the unit of work,
their digest is written to the ledger, the transaction commits, and only then are the bytes handed
back to be sent. If the ledger cannot be written the request fails with 503 and nothing is sent.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from koppelvlak.api import tokens
from koppelvlak.api.oneroster.collections import Endpoint
from koppelvlak.api.oneroster.errors import CodeMinor, OneRosterError, unknown_object
from koppelvlak.api.oneroster.mapping import BASE_PATH, Item, Renderer
from koppelvlak.api.oneroster.params import CollectionQuery, apply, lower_bound, parse_collection
from koppelvlak.api.oneroster.params import parse_fields as parse_selection
from koppelvlak.api.oneroster.release_cache import ReleaseCache
from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.connections import service as connections
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.release import service as release
from koppelvlak.release.values import Release
from koppelvlak.runtime import Runtime


@dataclass(frozen=True)
class Read:
    """What the route hands over: no framework objects."""

    endpoint: Endpoint
    path: str
    path_params: Mapping[str, str]
    params: Mapping[str, str]
    query_string: str
    base_url: str
    authorization: str | None
    cache: ReleaseCache = field(default_factory=lambda: ReleaseCache(0))


@dataclass(frozen=True)
class Answer:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    client_id: str | None = None


def _unauthorised(description: str) -> OneRosterError:
    return OneRosterError(401, CodeMinor.UNAUTHORISED, description)


def _forbidden(description: str) -> OneRosterError:
    return OneRosterError(403, CodeMinor.FORBIDDEN, description)


def bearer_claims(runtime: Runtime, authorization: str | None, at: datetime) -> tokens.AccessClaims:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised("a bearer access token is required")
    try:
        return tokens.verify(runtime.secrets.token_signing_key, token.strip(), at)
    except tokens.InvalidToken as error:
        raise _unauthorised(str(error)) from None


def _releases(
    session: Session,
    runtime: Runtime,
    read: Read,
    *,
    claims: tokens.AccessClaims,
    at: datetime,
    since: datetime | None,
) -> list[Release]:
    if not providers.credential_is_usable(session, claims.credential_id, at):
        raise _unauthorised("the credential was revoked or has expired")
    views = [
        view
        for view in connections.connections_for_provider(session, claims.provider_id, at)
        if view.state == "active"
    ]
    if not views:
        raise _forbidden("the provider has no active connection")
    key = runtime.secrets.pseudonym_key
    try:
        return [
            _resolve(
                session, read.cache, connection_id=v.connection_id, at=at, key=key, since=since
            )
            for v in views
        ]
    except KoppelvlakError as error:
        if error.status == 403:
            raise _forbidden(error.detail) from None
        raise


def _resolve(
    session: Session,
    cache: ReleaseCache,
    *,
    connection_id: uuid.UUID,
    at: datetime,
    key: bytes,
    since: datetime | None,
) -> Release:
    return cache.get(
        (connection_id, since),
        lambda: release.resolve(session, connection_id, at, key, since=since),
    )


def _narrow(read: Read, renderer: Renderer, items: list[Item]) -> list[Item]:
    """Keep the records linked to every parent in the path; an unknown parent is a 404."""
    links: list[str] = []
    for name, records in read.endpoint.parents:
        wanted = read.path_params[name]
        parent = next((i for i in records.build(renderer, False) if i.key == wanted), None)
        if parent is None or any(link not in parent.links for link in links[:1]):
            raise unknown_object(f"no {records.noun} with sourcedId {wanted!r}")
        links.append(wanted)
    return [item for item in items if all(link in item.links for link in links)]


def _link_header(read: Read, query: CollectionQuery, total: int) -> str:
    base = read.base_url.rstrip("/") + read.path
    others = {k: v for k, v in read.params.items() if k not in ("limit", "offset")}

    def url(offset: int) -> str:
        return base + "?" + urlencode({**others, "limit": query.limit, "offset": offset})

    last = max(0, ((total - 1) // query.limit) * query.limit) if total else 0
    links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if query.offset + query.limit < total:
        links.append(f'<{url(query.offset + query.limit)}>; rel="next"')
    if query.offset > 0:
        links.append(f'<{url(max(0, query.offset - query.limit))}>; rel="prev"')
    return ", ".join(links)


def _record(session: Session, read: Read, page: list[Item], body: bytes) -> None:
    """One ledger entry per connection whose people are in the response."""
    digest = hashlib.sha256(body).hexdigest()
    by_connection: dict[uuid.UUID, tuple[Release, set[uuid.UUID]]] = {}
    for item in page:
        if item.person_id is not None:
            entry = by_connection.setdefault(item.release.connection_id, (item.release, set()))
            entry[1].add(item.person_id)
    for origin, people in by_connection.values():
        audit.record(
            session,
            Disclosure(
                board_id=origin.board_id,
                provider_id=origin.provider_id,
                connection_id=origin.connection_id,
                channel=Channel.ONEROSTER,
                endpoint=f"GET {BASE_PATH}{read.endpoint.path}",  # the template, no ids
                query=read.query_string,
                attribute_ids=origin.attribute_ids,
                person_ids=frozenset(people),
                response_digest=digest,
            ),
        )


def _dumps(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def answer(runtime: Runtime, read: Read, claims: tokens.AccessClaims) -> Answer:
    """Serve ``read``; raise ``OneRosterError`` for every refusal (nothing personal in it)."""
    at = utcnow()
    endpoint, records = read.endpoint, read.endpoint.records
    if not claims.scopes & endpoint.scopes:
        raise _forbidden("the access token lacks the scope this endpoint needs")
    if endpoint.single:
        selection = parse_selection(read.params.get("fields"), records.fields)
        query = CollectionQuery(limit=1, fields=selection)
    else:
        query = parse_collection(read.params, records.fields | frozenset(records.aliases))
    since = lower_bound(query.filter, "dateLastModified")
    headers: dict[str, str] = {}
    try:
        # Read in one transaction, append to the ledger in a second, short one: on SQLite a
        # transaction that reads before it writes cannot wait for the write lock, and the ledger
        # only has to hold what was sent, which the digest pins down.
        with runtime.unit_of_work() as session:
            renderer = Renderer(
                read.base_url, _releases(session, runtime, read, claims=claims, at=at, since=since)
            )
            items = records.build(renderer, since is not None and not endpoint.single)
            if endpoint.single:
                wanted = read.path_params["sourcedId"]
                page = [i for i in items if i.key == wanted]
                if not page:
                    raise unknown_object(f"no {records.noun} with sourcedId {wanted!r}")
                body = _dumps({records.single_key: query.select(page[0].record, records.required)})
            else:
                narrowed = _narrow(read, renderer, items)
                total, page = apply(query, narrowed, records.aliases, lambda i: i.record)
                selected = [query.select(i.record, records.required) for i in page]
                body = _dumps({records.set_key: selected})
                headers = {"X-Total-Count": str(total), "Link": _link_header(read, query, total)}
        if any(item.person_id is not None for item in page):
            with audit.ledger_writes(), runtime.unit_of_work(write=True) as session:
                _record(session, read, page, body)
    except KoppelvlakError as error:
        if error.status == 503:
            raise OneRosterError(503, CodeMinor.SERVER_BUSY, error.detail) from None
        raise
    except SQLAlchemyError:
        raise OneRosterError(
            503, CodeMinor.SERVER_BUSY, "the database is unavailable; nothing was sent"
        ) from None
    return Answer(body, headers, claims.client_id)


__all__ = ["BASE_PATH", "Answer", "Read", "answer", "bearer_claims"]
