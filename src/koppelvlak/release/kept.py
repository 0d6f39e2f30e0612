"""The kept release: refreshed in the transaction of every change, checked against ``resolve``.

``refresh`` resolves a connection's release, turns it into objects (``kept_objects``) and writes
only the difference to what is kept: new objects, objects whose visible content changed (their
``dateLastModified`` moves), objects that left (kept as ``tobedeleted`` with the reason category,
for deltas and deletion notices) and tombstones past their window (removed). Any change bumps the
connection's release version. ``settle`` refreshes the connections a unit of work noted
(``kit.changes``) just before it commits, so the kept release is never stale; ``check`` names
every difference from a fresh ``resolve`` (DESIGN invariant 8). See ADR 0027.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from koppelvlak.connections import repository as connection_repository
from koppelvlak.connections.models import Connection
from koppelvlak.kit import changes
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.release import engine, kept_calendar, kept_objects, loading
from koppelvlak.release import kept_repository as repository
from koppelvlak.release import service as release_service
from koppelvlak.release.errors import ConnectionInactive, ConnectionUnknown
from koppelvlak.release.facts import ConnectionFacts
from koppelvlak.release.kept_objects import FreshObject
from koppelvlak.release.models import KeptRelease

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Refreshed:
    connection_id: uuid.UUID
    version: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    purged: int = 0

    @property
    def touched(self) -> int:
        return self.added + self.changed + self.removed + self.purged


@dataclass(frozen=True)
class Drift:
    connection_id: uuid.UUID
    collection: str
    key: str
    problem: str  # missing | extra | differs


@dataclass
class _Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    leaving: list[tuple[str, str]] = field(default_factory=list)
    purges: list[tuple[str, str]] = field(default_factory=list)
    changed: int = 0


def _settings_window() -> timedelta:
    from koppelvlak.config import get_settings

    return timedelta(days=get_settings().tobedeleted_days)


def _connection_facts(
    session: Session, connection_id: uuid.UUID, at: datetime
) -> tuple[Connection, ConnectionFacts]:
    """The connection and the facts its rules read at ``at``, with the configured consent age."""
    from koppelvlak.config import get_settings

    consent_age = get_settings().digital_consent_age
    return loading.connection_facts(session, connection_id, at, consent_age)


def _fresh(
    session: Session,
    connection_id: uuid.UUID,
    at: datetime,
    key: bytes,
    people: frozenset[uuid.UUID] | None = None,
    *,
    narrow: bool = False,
) -> tuple[dict[tuple[str, str], FreshObject], frozenset[str] | None]:
    """The objects ``resolve`` gives; with ``people``, theirs and the impersonal ones.

    ``narrow`` resolves everyone and renders only ``people``'s objects: a licensed-only scope
    releases a class only with a released member, so its classes need every member, but its
    people's objects still depend on themselves alone.
    """
    try:
        release = release_service.resolve(
            session, connection_id, at, key, person_ids=None if narrow else people
        )
    except ConnectionInactive:
        return {}, None
    if narrow and people is not None:
        release = replace(release, people=tuple(p for p in release.people if p.person_id in people))
    return kept_objects.fresh_objects(release), release.attribute_ids


def _head(session: Session, connection_id: uuid.UUID, at: datetime) -> KeptRelease:
    connection = connection_repository.connection(session, connection_id)
    if connection is None:
        raise ConnectionUnknown(f"no connection with id {connection_id}")
    return repository.locked_head(
        session,
        connection_id,
        board_id=connection.board_id,
        provider_id=connection.provider_id,
        at=at,
    )


def _row(head: KeptRelease, fresh: FreshObject, moment: datetime) -> dict[str, Any]:
    return {
        "connection_id": head.connection_id,
        "collection": fresh.collection,
        "key": fresh.key,
        "board_id": head.board_id,
        "kind": fresh.kind,
        "person_id": fresh.person_id,
        "status": "active",
        "modified_at": moment,
        "version": head.version + 1,
        "digest": fresh.digest,
        "body": kept_objects.body(fresh.record, "active", moment),
        "links": fresh.links,
        "values": fresh.values,
        "left_reason": None,
    }


def _plan(
    head: KeptRelease,
    fresh: dict[tuple[str, str], FreshObject],
    stored: dict[tuple[str, str], repository.Stored],
    at: datetime,
    *,
    rewrite: bool = False,
) -> _Plan:
    plan = _Plan()
    window = at - _settings_window()
    for ck, new in fresh.items():
        old = stored.get(ck)
        if old is None:
            plan.inserts.append(_row(head, new, at))
        elif old.digest != new.digest or old.status != "active":
            row = _row(head, new, max(at, old.modified_at + _TICK))
            plan.updates.append(_keyed(row))
            plan.changed += 1
        elif rewrite:  # same content: rewrite the stored form, keep its stamp and version
            row = _row(head, new, old.modified_at)
            row["version"] = old.version
            plan.updates.append(_keyed(row))
    for ck, old in stored.items():
        if ck in fresh:
            continue
        if old.status == "active":
            plan.leaving.append(ck)
        elif old.modified_at < window:
            plan.purges.append(ck)
    return plan


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    keyed = {k: v for k, v in row.items() if k not in ("connection_id", "collection", "key")}
    keyed.update(
        b_connection_id=row["connection_id"], b_collection=row["collection"], b_key=row["key"]
    )
    return keyed


def _reasons(
    session: Session, connection_id: uuid.UUID, at: datetime, people: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Why each person left: the engine's reason, or ``left_school`` when no longer there."""
    if not people:
        return {}
    connection, facts = _connection_facts(session, connection_id, at)
    read = loading.read_school(
        session, connection, facts, at, person_ids=frozenset(people), everyone=True
    )
    found: dict[uuid.UUID, str] = {}
    for person, _row in loading.people_at(read, at):
        person_id = uuid.UUID(str(person.person_id))
        found[person_id] = engine.decide_person(facts, person, at.date()).reason.value
        if person_id in people and found[person_id] == "released":
            found[person_id] = "no_longer_released"  # released, but not this object (a group)
    return found


def _tombstones(
    session: Session, head: KeptRelease, plan: _Plan, at: datetime, inactive: bool
) -> None:
    stored = repository.bodies(session, head.connection_id, plan.leaving)
    people = {person for _body, person in stored.values() if person is not None}
    reasons = (
        {}
        if inactive
        else _reasons(session, head.connection_id, at, {uuid.UUID(str(p)) for p in people})
    )
    for (collection, key), (text, person) in stored.items():
        record = kept_objects.tombstone(collection, json.loads(text))
        reason = "connection_inactive" if inactive else "no_longer_released"
        if person is not None and not inactive:
            reason = reasons.get(uuid.UUID(str(person)), "left_school")
        plan.updates.append(
            {
                "b_connection_id": head.connection_id,
                "b_collection": collection,
                "b_key": key,
                "status": "tobedeleted",
                "modified_at": at,
                "version": head.version + 1,
                "digest": "",
                "body": kept_objects.body(record, "tobedeleted", at),
                "values": None,
                "left_reason": reason,
            }
        )


def refresh(
    session: Session,
    connection_id: uuid.UUID,
    at: datetime,
    pseudonym_key: bytes,
    *,
    rewrite: bool = False,
    people: frozenset[uuid.UUID] | None = None,
    calendar: bool = False,
) -> Refreshed:
    """Bring the connection's kept release to what ``resolve`` says at ``at``.

    ``people`` limits the work to those people's objects (and the impersonal ones: orgs,
    sessions, courses, classes), for a roster sync that changed only them. ``rewrite`` also
    rewrites objects whose content did not change (their stamps stay): the repair after a drift
    check found stored rows that no longer match their digest. ``calendar``: ``people`` are
    everyone the calendar changed since ``calendar_at``, so the whole release follows it now.
    """
    at = asked = as_utc(at)
    narrow = people is not None and _needs_everyone(session, connection_id)
    head = _head(session, connection_id, at)  # first: a concurrent refresh waits here
    # Never behind the last refresh: a scheduled refresh that waited for this lock behind a
    # change would otherwise resolve at its older moment and undo what the change settled.
    at = max(at, as_utc(head.refreshed_at))
    fresh, attribute_ids = _fresh(session, connection_id, at, pseudonym_key, people, narrow=narrow)
    stored = repository.stored(session, connection_id, people)
    plan = _plan(head, fresh, stored, at, rewrite=rewrite)
    if plan.leaving:
        _tombstones(session, head, plan, at, inactive=attribute_ids is None)
    repository.insert_objects(session, plan.inserts)
    _update(session, plan.updates)
    repository.delete_objects(session, connection_id, plan.purges)
    touched = plan.inserts or plan.changed or plan.leaving or plan.purges
    if attribute_ids is not None:
        head.attribute_ids = kept_objects.dumps(sorted(attribute_ids))
    if touched:
        head.version += 1
        head.counts = kept_objects.dumps(repository.active_counts(session, connection_id))
        changes.refreshed(session, connection_id, head.version)
    head.refreshed_at = at
    if people is None or calendar:  # a calendar refresh knows whom it was due up to ``asked``
        head.calendar_at = at if people is None else asked
    session.flush()
    return Refreshed(
        connection_id=connection_id,
        version=head.version,
        added=len(plan.inserts),
        changed=plan.changed,
        removed=len(plan.leaving),
        purged=len(plan.purges),
    )


def _needs_everyone(session: Session, connection_id: uuid.UUID) -> bool:
    """Licensed-only scopes release a class only with a released member: resolve everyone."""
    connection = connection_repository.connection(session, connection_id)
    return connection is None or connection.licensed_only


def _update(session: Session, rows: list[dict[str, Any]]) -> None:
    """Full rewrites and tombstones have different columns: one statement per shape."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    for group in shapes.values():
        repository.update_objects(session, group)


def settle(session: Session, pseudonym_key: bytes) -> list[Refreshed]:
    """Refresh every connection the unit of work noted a change for (before it commits)."""
    # ``before_commit`` runs before the commit's own flush, and sessions do not autoflush:
    # write what the unit of work changed first, or the refresh reads the old rows.
    session.flush()
    noted = changes.take(session)
    if not noted:
        return []
    at = noted.at or utcnow()
    partial = repository.partly_touched(session, noted)
    return [
        refresh(session, connection_id, at, pseudonym_key, people=partial.get(connection_id))
        for connection_id in sorted(repository.touched_connections(session, noted), key=str)
    ]


def ensure(
    session: Session, connection_ids: list[uuid.UUID], at: datetime, pseudonym_key: bytes
) -> list[Refreshed]:
    """Build the kept release of connections that have none yet (a database from before it)."""
    present = {h.connection_id for h in repository.heads(session, connection_ids)}
    return [
        refresh(session, connection_id, at, pseudonym_key)
        for connection_id in connection_ids
        if connection_id not in present
    ]


def refresh_all(
    session: Session,
    at: datetime,
    pseudonym_key: bytes,
    board_id: uuid.UUID | None = None,
    *,
    rewrite: bool = False,
) -> list[Refreshed]:
    """Every connection (of a board): the scheduled refresh for what the calendar changes.

    A connection whose release followed the calendar before resolves only the people whose
    dates crossed a boundary since (``kept_calendar``); ``rewrite`` (the repair) is always whole.
    """
    done = []
    for connection_id in repository.all_connections(session, board_id):
        people = None if rewrite else _calendar_people(session, connection_id, as_utc(at))
        if people is None:
            done.append(refresh(session, connection_id, at, pseudonym_key, rewrite=rewrite))
        elif people:
            done.append(
                refresh(session, connection_id, at, pseudonym_key, people=people, calendar=True)
            )
        else:
            done.append(_followed(session, connection_id, as_utc(at)))
    return done


def _calendar_people(
    session: Session, connection_id: uuid.UUID, at: datetime
) -> frozenset[uuid.UUID] | None:
    """Whom the calendar changed since the release last followed it; None: refresh it whole."""
    head = repository.head(session, connection_id)
    if head is None or head.calendar_at is None:
        return None
    since = as_utc(head.calendar_at)
    if at <= since:
        return frozenset()
    connection, facts = _connection_facts(session, connection_id, at)
    people = kept_calendar.due(session, connection, facts, since, at)
    if people is None:
        return None
    expired, impersonal = repository.expired(session, connection_id, at - _settings_window())
    if impersonal and not people and not expired:
        return None  # an impersonal tombstone expires: a whole refresh purges it
    return people | expired


def _followed(session: Session, connection_id: uuid.UUID, at: datetime) -> Refreshed:
    """Nothing the calendar changes: the release follows it as it is."""
    head = _head(session, connection_id, at)
    head.calendar_at = at if head.calendar_at is None else max(at, as_utc(head.calendar_at))
    head.refreshed_at = max(at, as_utc(head.refreshed_at))
    session.flush()
    return Refreshed(connection_id=connection_id, version=head.version)


def check(
    session: Session, at: datetime, pseudonym_key: bytes, board_id: uuid.UUID | None = None
) -> list[Drift]:
    """Every difference between the kept releases and a fresh ``resolve`` at ``at``."""
    at = as_utc(at)
    found: list[Drift] = []
    for connection_id in repository.all_connections(session, board_id):
        fresh, _attributes = _fresh(session, connection_id, at, pseudonym_key)
        stored = {
            ck: old
            for ck, old in repository.stored(session, connection_id).items()
            if old.status == "active"
        }
        for ck in sorted(fresh.keys() - stored.keys()):
            found.append(Drift(connection_id, ck[0], ck[1], "missing"))
        for ck in sorted(stored.keys() - fresh.keys()):
            found.append(Drift(connection_id, ck[0], ck[1], "extra"))
        for ck in sorted(fresh.keys() & stored.keys()):
            if fresh[ck].digest != stored[ck].digest:
                found.append(Drift(connection_id, ck[0], ck[1], "differs"))
    return found
