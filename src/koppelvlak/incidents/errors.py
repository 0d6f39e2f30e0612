"""Incident errors."""

from __future__ import annotations

from koppelvlak.errors import KoppelvlakError, NotFound


class InvalidIncident(KoppelvlakError):
    title = "Invalid incident"


class IncidentNotFound(NotFound):
    title = "Incident not found"


class IncidentConnectionNotFound(NotFound):
    """A connection that is not the reporting provider's: 404, as if it did not exist."""

    title = "Connection not found"
