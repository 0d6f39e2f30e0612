"""One OneRoster collection or record read from the kept release, as the bytes to send.

The default order (``sourcedId``), optionally a delta (``dateLastModified >``), of one
connection is one index read; everything else (other filters and sorts, nested routes, a
provider with several connections) reads the collection's kept rows and filters them here.
Objects that left a release (``tobedeleted``) take part whenever the filter asks about
``dateLastModified`` or ``status``, so a delta reports them on every collection and route.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.api.oneroster.collections import Endpoint, RecordType
from koppelvlak.api.oneroster.errors import unknown_object
from koppelvlak.api.oneroster.params import (
    CollectionQuery,
    Comparison,
    Expression,
    apply,
    lower_bound,
)
from koppelvlak.release import kept_reads
from koppelvlak.release.kept_reads import ACTIVE, ALL_STATUSES, Row


@dataclass
class Found:
    """A page (or one record) with who is in it, per connection, for the ledger."""

    records: list[str]  # JSON texts, hrefs relative to the base path
    people: dict[uuid.UUID, set[uuid.UUID]]
    total: int


def _mentions(expression: Expression | None, names: frozenset[str]) -> bool:
    if expression is None:
        return False
    if isinstance(expression, Comparison):
        return expression.field in names
    return any(_mentions(part, names) for part in expression.parts)


def statuses_for(query: CollectionQuery) -> Sequence[str]:
    """Tombstones only where the client asks about change: deltas and status filters."""
    if _mentions(query.filter, frozenset({"dateLastModified", "status"})):
        return ALL_STATUSES
    return ACTIVE


def _delta_only(expression: Expression | None) -> bool:
    return expression is None or (
        isinstance(expression, Comparison)
        and expression.field == "dateLastModified"
        and expression.op in (">", ">=")
        and lower_bound(expression, "dateLastModified") is not None
    )


def _people(rows: Sequence[Row]) -> dict[uuid.UUID, set[uuid.UUID]]:
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    for row in rows:
        if row.person_id is not None:
            found.setdefault(row.connection_id, set()).add(row.person_id)
    return found


@dataclass
class _Merged:
    key: str
    record: dict[str, object]
    rows: list[Row]

    @property
    def links(self) -> set[str]:
        return {link for row in self.rows for link in json.loads(row.links)}


def _merge(rows: Sequence[Row]) -> list[_Merged]:
    """One record per sourcedId; a person at two schools is one user with both roles."""
    merged: dict[str, _Merged] = {}
    for row in rows:
        found = merged.get(row.key)
        if found is None:
            merged[row.key] = _Merged(row.key, json.loads(row.body), [row])
            continue
        found.rows.append(row)
        roles = found.record.get("roles")
        extra = json.loads(row.body).get("roles")
        if isinstance(roles, list) and isinstance(extra, list):
            for role in extra:
                if role not in roles:
                    roles.append(role)
    return list(merged.values())


def _linked(item: _Merged, parent: _Merged) -> bool:
    return parent.key in item.links or item.key in parent.links


def _parents(
    session: Session,
    connection_ids: Sequence[uuid.UUID],
    endpoint: Endpoint,
    path_params: Mapping[str, str],
    statuses: Sequence[str],
) -> list[_Merged]:
    """Each parent of a nested route, linked to the one before it; unknown: 404."""
    parents: list[_Merged] = []
    for name, records in endpoint.parents:
        wanted = path_params[name]
        found = _merge(
            kept_reads.rows(
                session, connection_ids, records.collection, records.kinds, statuses, keys=[wanted]
            )
        )
        if not found or (parents and not _linked(found[0], parents[0])):
            raise unknown_object(f"no {records.noun} with sourcedId {wanted!r}")
        parents.append(found[0])
    return parents


def collection(
    session: Session,
    heads: Sequence[kept_reads.Head],
    endpoint: Endpoint,
    path_params: Mapping[str, str],
    query: CollectionQuery,
) -> Found:
    records = endpoint.records
    statuses = statuses_for(query)
    connection_ids = [h.connection_id for h in heads]
    if not endpoint.parents and query.sort is None and _delta_only(query.filter):
        return _index_page(session, heads, records, query, statuses)
    parents = _parents(session, connection_ids, endpoint, path_params, statuses)
    items = _merge(
        kept_reads.rows(session, connection_ids, records.collection, records.kinds, statuses)
    )
    items = [i for i in items if all(_linked(i, p) for p in parents)]
    total, page = apply(query, items, records.aliases, lambda i: i.record)
    texts = [
        json.dumps(
            query.select(i.record, records.required), ensure_ascii=False, separators=(",", ":")
        )
        for i in page
    ]
    return Found(texts, _people([r for i in page for r in i.rows]), total)


def _index_page(
    session: Session,
    heads: Sequence[kept_reads.Head],
    records: RecordType,
    query: CollectionQuery,
    statuses: Sequence[str],
) -> Found:
    since: datetime | None = lower_bound(query.filter, "dateLastModified")
    inclusive = isinstance(query.filter, Comparison) and query.filter.op == ">="
    total, rows = kept_reads.page(
        session,
        heads,
        records.collection,
        records.kinds,
        statuses=statuses,
        since=since,
        inclusive=inclusive,
        limit=query.limit,
        offset=query.offset,
        descending=query.descending,
    )
    if len(heads) == 1 and query.fields is None:  # the kept bytes as they are
        return Found([row.body for row in rows], _people(rows), total)
    merged = _merge(rows)  # one record per sourcedId, roles of every connection
    texts = [
        json.dumps(
            query.select(m.record, records.required), ensure_ascii=False, separators=(",", ":")
        )
        for m in merged
    ]
    return Found(texts, _people(rows), total)


def single(
    session: Session,
    connection_ids: Sequence[uuid.UUID],
    records: RecordType,
    wanted: str,
    query: CollectionQuery,
) -> Found:
    found = _merge(
        kept_reads.rows(
            session, connection_ids, records.collection, records.kinds, ACTIVE, keys=[wanted]
        )
    )
    if not found:
        raise unknown_object(f"no {records.noun} with sourcedId {wanted!r}")
    text = json.dumps(
        query.select(found[0].record, records.required), ensure_ascii=False, separators=(",", ":")
    )
    return Found([text], _people(found[0].rows), 1)
