"""The connection lifecycle as a transition table, and the state in force at a moment.

requested → approved → active → suspended / revoked / expired. ``approved`` means the admin
approved but a sensitive dataset still waits for the DPO's sign-off; without sensitive
attributes an approval activates at once. ``expired`` is also reached by time: a connection
whose end date has passed is expired whatever its stored state says.
"""

from __future__ import annotations

from datetime import datetime

from koppelvlak.connections.models import ConnectionState
from koppelvlak.kit.clock import as_utc

S = ConnectionState

TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.ACTIVE, S.REFUSED, S.EXPIRED}),
    S.APPROVED: frozenset({S.ACTIVE, S.REFUSED, S.REVOKED, S.EXPIRED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.REVOKED, S.EXPIRED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.REVOKED, S.EXPIRED}),
    S.REFUSED: frozenset(),
    S.REVOKED: frozenset(),
    S.EXPIRED: frozenset(),
}

TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def can_move(current: ConnectionState, target: ConnectionState) -> bool:
    return target in TRANSITIONS[current]


def state_at(stored: ConnectionState, ends_at: datetime | None, at: datetime) -> ConnectionState:
    """The state in force at ``at``: a passed end date expires a non-final connection."""
    if stored not in TERMINAL and ends_at is not None and as_utc(at) >= as_utc(ends_at):
        return S.EXPIRED
    return stored
