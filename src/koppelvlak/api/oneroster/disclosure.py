"""Answer one OneRoster read: authorise, read the kept release, page, record, commit.

The order is the point (DESIGN invariant 1): the response bytes are built inside the unit of work,
their ledger entries are readied in the same read (keys and commitments, ADR 0032), committed by
the ledger's group commit, and only then are the bytes handed back to be sent. If the ledger
cannot be written the request fails with 503 and nothing is sent.
Pages come from the kept release (``release.kept_reads``, ADR 0027): the default order, a delta,
a role or a status is one index read; other filters, sorts and nested routes work over the
connection's kept rows. A client that sends the ``ETag`` it has gets 304 and no personal data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from koppelvlak.api import tokens
from koppelvlak.api.oneroster import pages
from koppelvlak.api.oneroster.collections import Endpoint
from koppelvlak.api.oneroster.errors import CodeMinor, OneRosterError
from koppelvlak.api.oneroster.links import link_header
from koppelvlak.api.oneroster.params import CollectionQuery, parse_collection
from koppelvlak.api.oneroster.params import parse_fields as parse_selection
from koppelvlak.audit import service as audit
from koppelvlak.audit.sealing import Prepared
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.connections import service as connections
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.release import kept, kept_reads
from koppelvlak.release.oneroster import BASE_PATH
from koppelvlak.runtime import Runtime


@dataclass(frozen=True)
class Read:
    """What the route hands over: no framework objects."""

    endpoint: Endpoint
    path: str
    path_params: Mapping[str, str]
    params: Mapping[str, str]
    query_string: str
    base_url: str  # the configured public URL (KOPPELVLAK_PUBLIC_URL), never the Host header
    authorization: str | None
    if_none_match: str | None = None


@dataclass(frozen=True)
class Answer:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    client_id: str | None = None
    status: int = 200


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


def _active_connections(
    session: Session, claims: tokens.AccessClaims, at: datetime
) -> list[uuid.UUID]:
    if not providers.credential_is_usable(session, claims.credential_id, at):
        raise _unauthorised("the credential was revoked or has expired")
    ids = connections.active_connection_ids(session, claims.provider_id, at)
    if not ids:
        raise _forbidden("the provider has no active connection")
    return ids


def _etag(read: Read, heads: list[kept_reads.Head]) -> str:
    """Changes whenever any of the provider's releases changes, or the request does."""
    parts = [f"{h.connection_id}:{h.version}" for h in heads]
    parts += [read.base_url, read.path, read.query_string]
    return 'W/"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def _disclosures(
    read: Read,
    heads: list[kept_reads.Head],
    people: dict[uuid.UUID, set[uuid.UUID]],
    body: bytes,
) -> list[Disclosure]:
    """One ledger entry per connection whose people are in the response."""
    digest = hashlib.sha256(body).hexdigest()
    return [
        Disclosure(
            board_id=head.board_id,
            provider_id=head.provider_id,
            connection_id=head.connection_id,
            channel=Channel.ONEROSTER,
            endpoint=f"GET {BASE_PATH}{read.endpoint.path}",  # the template, no ids
            query=read.query_string,
            attribute_ids=head.attribute_ids,
            person_ids=frozenset(people[head.connection_id]),
            response_digest=digest,
        )
        for head in heads
        if people.get(head.connection_id)
    ]


def _served(
    session: Session, read: Read, query: CollectionQuery, heads: list[kept_reads.Head]
) -> tuple[Answer, list[Prepared]]:
    """The response, and its ledger entries readied in the same read (keys, commitments)."""
    response, people = _serve(session, read, query, heads)
    if response.status != 200 or not people:
        return response, []
    return response, audit.prepare(session, _disclosures(read, heads, people, response.body))


def _absolute(texts: list[str], read: Read) -> str:
    """Kept records carry hrefs relative to the base path; the configured base goes in front."""
    joined = ",".join(texts)
    return joined.replace('"href":"/ims/', '"href":"' + read.base_url.rstrip("/") + "/ims/")


def answer(runtime: Runtime, read: Read, claims: tokens.AccessClaims) -> Answer:
    """Serve ``read``; raise ``OneRosterError`` for every refusal (nothing personal in it)."""
    at = utcnow()
    endpoint, records = read.endpoint, read.endpoint.records
    if not claims.scopes & endpoint.scopes:
        raise _forbidden("the access token lacks the scope this endpoint needs")
    if endpoint.single:
        query = CollectionQuery(
            limit=1, fields=parse_selection(read.params.get("fields"), records.fields)
        )
    else:
        query = parse_collection(read.params, records.fields | frozenset(records.aliases))
    try:
        with runtime.unit_of_work() as session:
            ids = _active_connections(session, claims, at)
            heads = kept_reads.heads(session, ids)
            ready = len(heads) == len(ids)
            served = _served(session, read, query, heads) if ready else None
        if served is None:  # a kept release built before the kept release existed: build it once
            with runtime.unit_of_work(write=True) as session:
                kept.ensure(session, ids, at, runtime.secrets.pseudonym_key)
                heads = kept_reads.heads(session, ids)
                served = _served(session, read, query, heads)
        response, entries = served
        # Committed (possibly together with other requests' entries) before a byte is sent.
        audit.commit(runtime.engine, entries)
    except KoppelvlakError as error:
        if error.status == 503:
            raise OneRosterError(503, CodeMinor.SERVER_BUSY, error.detail) from None
        raise
    except SQLAlchemyError:
        raise OneRosterError(
            503, CodeMinor.SERVER_BUSY, "the database is unavailable; nothing was sent"
        ) from None
    return Answer(response.body, response.headers, claims.client_id, response.status)


def _serve(
    session: Session, read: Read, query: CollectionQuery, heads: list[kept_reads.Head]
) -> tuple[Answer, dict[uuid.UUID, set[uuid.UUID]]]:
    """The response from the kept release, and who is in it per connection (for the ledger)."""
    endpoint, records = read.endpoint, read.endpoint.records
    etag = _etag(read, heads)
    if read.if_none_match is not None and etag in read.if_none_match:
        return Answer(b"", {"ETag": etag}, status=304), {}
    ids = [h.connection_id for h in heads]
    if endpoint.single:
        found = pages.single(session, ids, records, read.path_params["sourcedId"], query)
        text = '{"' + records.single_key + '":' + _absolute(found.records, read) + "}"
        return Answer(text.encode(), {"ETag": etag}), found.people
    found = pages.collection(session, heads, endpoint, read.path_params, query)
    text = '{"' + records.set_key + '":[' + _absolute(found.records, read) + "]}"
    headers = {
        "X-Total-Count": str(found.total),
        "Link": link_header(
            read.base_url,
            read.path,
            read.params,
            limit=query.limit,
            offset=query.offset,
            total=found.total,
        ),
        "ETag": etag,
    }
    return Answer(text.encode(), headers), found.people


__all__ = ["BASE_PATH", "Answer", "Read", "answer", "bearer_claims"]
