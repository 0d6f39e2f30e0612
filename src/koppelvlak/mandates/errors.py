"""Mandate errors: malformed identifiers, unknown services, missing mandates."""

from __future__ import annotations

from koppelvlak.errors import Conflict, Forbidden, KoppelvlakError, NotFound


class InvalidIdentifier(KoppelvlakError):
    title = "Invalid identifier"


class InvalidMandate(KoppelvlakError):
    title = "Invalid mandate"


class UnknownService(KoppelvlakError):
    """A service name the register does not hold (400: the names are public)."""

    title = "Unknown service"


class MandateNotFound(NotFound):
    title = "Mandate not found"


class MandateAlreadyRevoked(Conflict):
    title = "Mandate already revoked"


class MandateMissing(Forbidden):
    """No valid mandate for this school, service and party at that moment: nothing may go."""

    title = "No valid mandate"
