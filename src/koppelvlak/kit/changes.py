"""What a unit of work changed that may alter what providers see, noted for the kept release.

Domain services note a change here (a connection, a school's roster, a provider, one person's
exception) in the session they were given; before the unit of work commits, the kept release
refreshes exactly the connections the notes name, in the same transaction (``release.kept``
settles them). Noting is cheap and knows no domain, so no context has to import ``release`` and
the import graph stays one-way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

_KEY = "koppelvlak.changes"
_REFRESHED = "koppelvlak.refreshed"


@dataclass
class Changes:
    connections: set[uuid.UUID] = field(default_factory=set)
    schools: dict[uuid.UUID, set[uuid.UUID] | None] = field(default_factory=dict)
    providers: set[uuid.UUID] = field(default_factory=set)
    people: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)  # (provider, person)
    at: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.connections or self.schools or self.providers or self.people)


def _changes(session: Session, at: datetime) -> Changes:
    changes: Changes = session.info.setdefault(_KEY, Changes())
    if changes.at is None or at > changes.at:
        changes.at = at
    return changes


def connection_changed(session: Session, connection_id: uuid.UUID, at: datetime) -> None:
    _changes(session, at).connections.add(connection_id)


def school_changed(
    session: Session,
    school_id: uuid.UUID,
    at: datetime,
    people: set[uuid.UUID] | None = None,
) -> None:
    """A school's roster changed; ``people`` narrows it to those people (None: anyone)."""
    schools = _changes(session, at).schools
    if people is None or schools.get(school_id, set()) is None:
        schools[school_id] = None
    else:
        schools.setdefault(school_id, set()).update(people)  # type: ignore[union-attr]  # not None here


def provider_changed(session: Session, provider_id: uuid.UUID, at: datetime) -> None:
    _changes(session, at).providers.add(provider_id)


def person_changed(
    session: Session, provider_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> None:
    """An exception (objection, consent, licence) of one person towards one provider."""
    _changes(session, at).people.add((provider_id, person_id))


def pending(session: Session) -> bool:
    return bool(session.info.get(_KEY))


def take(session: Session) -> Changes:
    """The notes so far, forgotten once taken."""
    return session.info.pop(_KEY, None) or Changes()


def refreshed(session: Session, connection_id: uuid.UUID, version: int) -> None:
    """A kept release moved to ``version`` in this unit of work (deletion notices, pushes)."""
    session.info.setdefault(_REFRESHED, {})[connection_id] = version


def refreshed_pending(session: Session) -> bool:
    return bool(session.info.get(_REFRESHED))


def take_refreshed(session: Session) -> dict[uuid.UUID, int]:
    """Every kept release this unit of work moved, with its newest version; forgotten once taken."""
    taken: dict[uuid.UUID, int] = session.info.pop(_REFRESHED, None) or {}
    return taken
