"""What the provider-facing interfaces read of the kept release: frozen rows, never ORM objects.

A page in the default order (``sourcedId``), optionally a delta (``dateLastModified >``), a
role or a status, is one index read of one connection's objects. Other filters, sorts and nested
routes read the collection's rows of the provider's connections and work in memory. UWLR answers
rebuild a ``Release`` from the kept users, classes and schools.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.db import WRITE_OPTION
from koppelvlak.kit import changes
from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.driver import Reader
from koppelvlak.release import kept_objects, page_memo
from koppelvlak.release import kept_repository as repository
from koppelvlak.release.keys import stamp
from koppelvlak.release.values import DepartedPerson, PersonKind, Release, ReleasedPerson

K = repository.K
ACTIVE = ("active",)
ALL_STATUSES = ("active", "tobedeleted")


@dataclass(frozen=True, slots=True)
class Head:
    connection_id: uuid.UUID
    board_id: uuid.UUID
    provider_id: uuid.UUID
    version: int
    attribute_ids: frozenset[str]
    counts: Mapping[str, int]  # "collection kind" -> active objects

    def active(self, collection: str, kinds: Sequence[str] | None) -> int:
        prefix = collection + " "
        return sum(
            n
            for name, n in self.counts.items()
            if name.startswith(prefix) and (kinds is None or name[len(prefix) :] in kinds)
        )


@dataclass(frozen=True, slots=True)
class Row:
    connection_id: uuid.UUID
    key: str
    person_id: uuid.UUID | None
    body: str  # the record as sent, hrefs relative to the base path
    links: str  # JSON list of sourcedIds


class _Driver(Reader):
    """The DBAPI cursor for the two reads every page makes: no statement building per request.

    SQLAlchemy Core costs more per page than the database's own work here (a hundred column
    coercions and a cache key per statement); these two statements are fixed text with the
    driver's own placeholders, run on the cursor of the session's transaction
    (``kit.driver``), and ids travel as the driver stores them.
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        connection = session.connection()
        self.writing = changes.pending(session) or bool(
            connection.get_execution_options().get(WRITE_OPTION)
        )


_PEOPLE_LIMIT = 500_000
_people: dict[object, uuid.UUID] = {}


def _person(value: object) -> uuid.UUID:
    """A person id as the driver returned it (SQLite: hex text), as a ``UUID``, memoised.

    A page names a hundred people, and building a ``UUID`` from text costs more than reading
    the row; the same people come back page after page. Ids only, bounded, per process.
    """
    if isinstance(value, uuid.UUID):
        return value
    found = _people.get(value)
    if found is None:
        if len(_people) >= _PEOPLE_LIMIT:
            _people.clear()
        found = _people[value] = uuid.UUID(str(value))
    return found


def heads(session: Session, connection_ids: Sequence[uuid.UUID]) -> list[Head]:
    if not connection_ids:
        return []
    driver = _Driver(session)
    marks = ", ".join(["%s"] * len(connection_ids))
    rows = driver.rows(
        "SELECT connection_id, board_id, provider_id, version, attribute_ids, counts "  # noqa: S608  (fixed text; values go as driver parameters)
        f"FROM kept_release WHERE connection_id IN ({marks})",
        [driver.id(c) for c in connection_ids],
    )
    return [
        Head(
            connection_id=driver.uuid(c),
            board_id=driver.uuid(b),
            provider_id=driver.uuid(p),
            version=int(v),
            attribute_ids=frozenset(json.loads(a)),
            counts=json.loads(n),
        )
        for c, b, p, v, a, n in rows
    ]


def _where(
    connection_ids: Sequence[uuid.UUID],
    collection: str,
    kinds: Sequence[str] | None,
    statuses: Sequence[str],
) -> list[object]:
    conditions: list[object] = [
        K.c.connection_id.in_(list(connection_ids))
        if len(connection_ids) != 1
        else K.c.connection_id == connection_ids[0],
        K.c.collection == collection,
    ]
    if kinds is not None:
        conditions.append(K.c.kind.in_(list(kinds)) if len(kinds) != 1 else K.c.kind == kinds[0])
    if tuple(statuses) != ALL_STATUSES:
        conditions.append(K.c.status.in_(list(statuses)))
    return conditions


def _row(values: Sequence[object]) -> Row:
    connection_id, key, person_id, text, links = values
    return Row(
        connection_id=connection_id
        if isinstance(connection_id, uuid.UUID)
        else uuid.UUID(str(connection_id)),
        key=str(key),
        person_id=(
            None
            if person_id is None
            else person_id
            if isinstance(person_id, uuid.UUID)
            else uuid.UUID(str(person_id))
        ),
        body=str(text),
        links=str(links),
    )


_COLUMNS = (K.c.connection_id, K.c.key, K.c.person_id, K.c.body, K.c.links)


def page(
    session: Session,
    heads: Sequence[Head],
    collection: str,
    kinds: Sequence[str] | None,
    *,
    statuses: Sequence[str],
    since: datetime | None,
    inclusive: bool,
    limit: int,
    offset: int,
    descending: bool,
) -> tuple[int, list[Row]]:
    """The total and one page in ``sourcedId`` order: an index read per statement.

    One connection reads its page directly; several (a provider at several schools) are
    ``merged_page``, where a person released by two of them arrives as two rows of one key.
    """
    if len(heads) != 1:
        return merged_page(
            session,
            heads,
            collection,
            kinds,
            statuses=statuses,
            since=since,
            inclusive=inclusive,
            limit=limit,
            offset=offset,
            descending=descending,
        )
    (head,) = heads
    driver = _Driver(session)
    where, params = _filters(
        driver, collection, kinds=kinds, statuses=statuses, since=since, inclusive=inclusive
    )
    where = f"connection_id = %s AND {where}"
    params = [driver.id(head.connection_id), *params]
    if since is None and tuple(statuses) == ACTIVE:
        total = head.active(collection, kinds)
    else:
        counted = driver.rows(f"SELECT count(*) FROM kept_object WHERE {where}", params)  # noqa: S608  (fixed text; values go as driver parameters)
        total = int(counted[0][0])
    order = "DESC" if descending else "ASC"
    listing = f"SELECT key FROM kept_object WHERE {where} ORDER BY key {order}"  # noqa: S608  (fixed text; values go as driver parameters)
    what = (*_what(collection, kinds, statuses, since, inclusive), descending)
    after, offset = page_memo.skip(driver, _versions(heads), (listing, params), what, offset)
    if after is not None:
        where, params = _after(where, params, after, descending=descending)
    found = driver.rows(
        f"SELECT connection_id, key, person_id, body FROM kept_object WHERE {where} "  # noqa: S608  (fixed text; values go as driver parameters)
        f"ORDER BY key {order} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    return total, _rows(driver, heads, found)


def _what(
    collection: str,
    kinds: Sequence[str] | None,
    statuses: Sequence[str],
    since: datetime | None,
    inclusive: bool,
) -> tuple[object, ...]:
    """A page's filter as part of what ``page_memo`` remembers for it."""
    return (collection, None if kinds is None else tuple(kinds), tuple(statuses), since, inclusive)


def _versions(heads: Sequence[Head]) -> page_memo.Versions:
    return tuple(sorted((str(h.connection_id), h.version) for h in heads))


def _after(
    where: str, params: list[object], key: str, *, descending: bool
) -> tuple[str, list[object]]:
    """The page's conditions, starting after ``key`` in page order (a signpost)."""
    return where + (" AND key < %s" if descending else " AND key > %s"), [*params, key]


def _filters(
    driver: _Driver,
    collection: str,
    *,
    kinds: Sequence[str] | None,
    statuses: Sequence[str],
    since: datetime | None,
    inclusive: bool,
) -> tuple[str, list[object]]:
    """The page's conditions on one connection's kept objects, with their parameters."""
    where = "collection = %s"
    params: list[object] = [collection]
    if kinds is not None:
        where += " AND kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params += kinds
    if tuple(statuses) != ALL_STATUSES:
        where += " AND status IN (" + ", ".join(["%s"] * len(statuses)) + ")"
        params += statuses
    if since is not None:
        where += " AND modified_at >= %s" if inclusive else " AND modified_at > %s"
        params.append(driver.moment(since))
    return where, params


def _rows(driver: _Driver, heads: Sequence[Head], found: Sequence[tuple[Any, ...]]) -> list[Row]:
    """Page rows as the driver returned them; ids of the heads and of people reused."""
    connections = {driver.id(h.connection_id): h.connection_id for h in heads}
    return [
        Row(
            connection_id=connections.get(connection) or driver.uuid(connection),
            key=str(key),
            person_id=None if person is None else _person(person),
            body=body,
            links="[]",
        )
        for connection, key, person, body in found
    ]


_ARM = "SELECT key FROM kept_object WHERE connection_id = %s AND {where}"


def merged_page(
    session: Session,
    heads: Sequence[Head],
    collection: str,
    kinds: Sequence[str] | None,
    *,
    statuses: Sequence[str],
    since: datetime | None,
    inclusive: bool,
    limit: int,
    offset: int,
    descending: bool,
) -> tuple[int, list[Row]]:
    """``page`` for a provider with several connections: a merge of per-connection index reads.

    Each connection's keys come from its own index range in ``sourcedId`` order, and the first
    ``offset + limit`` distinct keys of all of them are among the first ``offset + limit`` of
    each: the database merges those ranges (SQLite's ``UNION`` with an ``ORDER BY`` is a merge
    of the arms; PostgreSQL gets each arm bounded), and bodies are read for the page's keys only.
    The total (distinct keys of all connections) is counted once per combination of the heads'
    versions in this process: a kept row never changes without its connection's version moving
    (the same rule the ETag rests on), so a cached total is exact. See ADR 0145.
    """
    if not heads:
        return 0, []
    driver = _Driver(session)
    where, params = _filters(
        driver, collection, kinds=kinds, statuses=statuses, since=since, inclusive=inclusive
    )
    ids = [driver.id(h.connection_id) for h in heads]
    arm = _ARM.format(where=where)
    arm_params = [p for i in ids for p in (i, *params)]
    what = _what(collection, kinds, statuses, since, inclusive)
    versions = _versions(heads)
    arms = " UNION ".join([arm] * len(ids))
    count = (f"SELECT count(*) FROM ({arms}) AS merged", arm_params)  # noqa: S608  (fixed text; values go as driver parameters)
    total = page_memo.total(driver, versions, count, what)
    order = "DESC" if descending else "ASC"
    listing = (f"{arms} ORDER BY 1 {order}", arm_params)
    after, offset = page_memo.skip(driver, versions, listing, (*what, descending), offset)
    # Only the arms start at the signpost: the bodies are read by key (a bound there made
    # SQLite range-scan the bound instead of looking the keys up: 6 ms against 0.5).
    bound = params
    if after is not None:
        bounded, bound = _after(where, params, after, descending=descending)
        arm = _ARM.format(where=bounded)
        arm_params = [p for i in ids for p in (i, *bound)]
    if driver.native:  # parenthesised arms, each bounded: PostgreSQL sorts at most their rows
        union = " UNION ".join([f"({arm} ORDER BY key {order} LIMIT %s)"] * len(ids))
        arm_params = [p for i in ids for p in (i, *bound, offset + limit)]
    else:  # SQLite merges the arms in index order (``MERGE (UNION)``): offset + limit keys each
        union = " UNION ".join([arm] * len(ids))
    keys = [
        str(k)
        for (k,) in driver.rows(
            f"{union} ORDER BY 1 {order} LIMIT %s OFFSET %s", [*arm_params, limit, offset]
        )
    ]
    if not keys:
        return total, []
    found = driver.rows(
        "SELECT connection_id, key, person_id, body FROM kept_object "  # noqa: S608  (fixed text; values go as driver parameters)
        f"WHERE connection_id IN ({', '.join(['%s'] * len(ids))}) AND {where} "
        f"AND key IN ({', '.join(['%s'] * len(keys))}) ORDER BY key {order}, connection_id",
        [*ids, *params, *keys],
    )
    return total, _rows(driver, heads, found)


def rows(
    session: Session,
    connection_ids: Sequence[uuid.UUID],
    collection: str,
    kinds: Sequence[str] | None,
    statuses: Sequence[str],
    *,
    keys: Sequence[str] | None = None,
) -> list[Row]:
    """Every row of the collection for these connections, in ``sourcedId`` order."""
    conditions = _where(connection_ids, collection, kinds, statuses)
    if keys is not None:
        conditions.append(K.c.key.in_(list(keys)))
    query = select(*_COLUMNS).where(*conditions).order_by(K.c.key, K.c.connection_id)  # type: ignore[arg-type]  # column expressions
    return [_row(r) for r in session.execute(query)]


def release_of(session: Session, head: Head, at: datetime) -> Release:
    """The connection's kept release as the value UWLR renders (people, groups, schools)."""
    query = (
        select(
            K.c.collection,
            K.c.kind,
            K.c.status,
            K.c.modified_at,
            K.c["values"],
            K.c.person_id,
            K.c.key,
        )
        .where(
            K.c.connection_id == head.connection_id,
            K.c.collection.in_(["orgs", "classes", "users"]),
        )
        .order_by(K.c.collection, K.c.key)
    )
    schools, groups, people, departed = [], [], [], []
    for collection, kind, status, modified_at, text, person_id, key in session.execute(query):
        moment = as_utc(stamp(modified_at))
        if status != "active":
            if collection == "users":
                departed.append(
                    DepartedPerson(
                        person_id=uuid.UUID(str(person_id)),
                        kind=PersonKind.STUDENT if kind == "student" else PersonKind.STAFF,
                        pseudonym=str(key),
                        left_at=moment,
                    )
                )
            continue
        if text is None:
            continue
        values = json.loads(text)
        if collection == "orgs":
            schools.append(kept_objects.released_school(values))
        elif collection == "classes":
            groups.append(kept_objects.released_group(values, moment))
        else:
            people.append(kept_objects.released_person(values, moment))
    return Release(
        board_id=head.board_id,
        provider_id=head.provider_id,
        connection_id=head.connection_id,
        at=at,
        attribute_ids=head.attribute_ids,
        schools=tuple(schools),
        groups=tuple(groups),
        people=_in_release_order(people),
        departed=tuple(departed),
    )


def _in_release_order(people: list[ReleasedPerson]) -> tuple[ReleasedPerson, ...]:
    """Students before staff, as ``resolve`` gives them."""
    return tuple(sorted(people, key=lambda p: p.kind is not PersonKind.STUDENT))
