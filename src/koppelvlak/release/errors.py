"""Release errors: a connection that may not release, an unknown person to explain."""

from __future__ import annotations

from koppelvlak.errors import Forbidden, NotFound


class ConnectionInactive(Forbidden):
    title = "Connection not active"


class ConnectionUnknown(NotFound):
    title = "Connection not found"


class PersonUnknown(NotFound):
    title = "Person not found"
