"""A connection as it stood at a past moment, replayed from its event history.

The ``connection`` row holds only the present; every decision that changed it is a
``connection_event`` (state moves, scope, switched-off attributes, end date, dataset version).
``as_of`` walks those events so ``release explain --at T`` decides with the state, scope,
switch-offs and dataset version in force at T, not today's. Before the first event (the request)
the connection did not exist: such a moment is refused, not guessed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.connections import repository
from koppelvlak.connections.errors import BeforeHistory
from koppelvlak.connections.models import Connection, ConnectionEvent, ConnectionState, ScopeKind
from koppelvlak.connections.states import state_at
from koppelvlak.kit.clock import as_utc

# Events that put a dataset version in force, and the detail key naming its number.
_VERSION_EVENTS = {
    "request": "dataset_version",
    "version_replaced_request": "to_version",
    "version_applied": "to_version",
    "approve_version": "to_version",
}


@dataclass(frozen=True, slots=True)
class ConnectionAsOf:
    """What the release rules read from a connection, as recorded at one moment."""

    state: ConnectionState
    dataset_version: int | None  # None: no event names it (use the stored version)
    switched_off: frozenset[str]
    scope_kind: ScopeKind
    licensed_only: bool
    scope_groups: frozenset[uuid.UUID]
    scope_year_groups: frozenset[str]


def initial_detail(
    *, dataset_version: int, scope_kind: ScopeKind, licensed_only: bool, ends_at: datetime | None
) -> dict[str, object]:
    """The request event's detail: enough to replay the connection from its first moment."""
    return {
        "dataset_version": dataset_version,
        "scope": {"kind": scope_kind.value, "licensed_only": licensed_only},
        "ends_at": ends_at.isoformat() if ends_at else None,
    }


def as_of(session: Session, connection: Connection, at: datetime) -> ConnectionAsOf | None:
    """The connection at ``at``; ``BeforeHistory`` when ``at`` precedes its request.

    None for a connection without any recorded event (none is made so): only its present is known.
    """
    at = as_utc(at)
    events = repository.events(session, connection.id)
    if not events:
        return None
    if as_utc(events[0].at) > at:
        raise BeforeHistory(
            f"connection {connection.id} was requested at {_moment(events[0].at)}; nothing "
            f"is known about it at {_moment(at)}; expected a moment on or after its request"
        )
    past = [e for e in events if as_utc(e.at) <= at]
    later = events[len(past) :]
    state = next(
        (ConnectionState(e.to_state) for e in reversed(past) if e.to_state),
        ConnectionState.REQUESTED,
    )
    version = next(
        (
            int(number)
            for e in reversed(past)
            if isinstance(number := e.detail.get(_VERSION_EVENTS.get(e.action, "")), int)
        ),
        None,
    )
    scope = _scope(session, connection, events, past)
    return ConnectionAsOf(
        state=state_at(state, _ends_at(connection, events, past), at),
        dataset_version=version,
        switched_off=_switched_off(session, connection, later),
        scope_kind=ScopeKind(str(scope["kind"])),
        licensed_only=bool(scope["licensed_only"]),
        scope_groups=frozenset(uuid.UUID(str(g)) for g in _listed(scope.get("groups"))),
        scope_year_groups=frozenset(str(y) for y in _listed(scope.get("year_groups"))),
    )


def _moment(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="seconds")


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _scope(
    session: Session,
    connection: Connection,
    events: list[ConnectionEvent],
    past: list[ConnectionEvent],
) -> dict[str, object]:
    """The scope after the last change up to the moment, else the one the request set."""
    for event in reversed(past):
        after = event.detail.get("after") if event.action == "set_scope" else None
        if isinstance(after, dict):
            return after
    first = events[0].detail.get("scope")
    if isinstance(first, dict):
        return {**first, "groups": [], "year_groups": []}
    change = next((e for e in events if e.action == "set_scope"), None)
    before = change.detail.get("before") if change is not None else None
    if isinstance(before, dict):
        return before
    return {  # no recorded scope at all (older rows): the present one
        "kind": connection.scope_kind.value,
        "licensed_only": connection.licensed_only,
        "groups": sorted(str(g) for g in repository.scope_groups(session, connection.id)),
        "year_groups": sorted(repository.scope_year_groups(session, connection.id)),
    }


def _ends_at(
    connection: Connection, events: list[ConnectionEvent], past: list[ConnectionEvent]
) -> datetime | None:
    for event in reversed(past):
        if event.action == "set_end":
            value = event.detail.get("ends_at")
            return as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else None
    if "ends_at" in events[0].detail:
        value = events[0].detail["ends_at"]
        return as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else None
    if any(e.action == "set_end" for e in events):
        return None  # the request's end date was not recorded; a later one was set
    return connection.ends_at


def _switched_off(
    session: Session, connection: Connection, later: list[ConnectionEvent]
) -> frozenset[str]:
    """Today's switch-offs with every later switch undone, newest first."""
    off = set(repository.switched_off(session, connection.id))
    for event in reversed(later):
        attribute = event.detail.get("attribute")
        if not isinstance(attribute, str):
            continue
        if event.action == "switch_off":
            off.discard(attribute)
        elif event.action == "switch_on":
            off.add(attribute)
    return frozenset(off)
