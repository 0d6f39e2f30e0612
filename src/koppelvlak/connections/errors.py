"""Connection errors: unknown connections, refused transitions, bad scope or exceptions."""

from __future__ import annotations

from koppelvlak.errors import Conflict, Forbidden, KoppelvlakError, NotFound


class ConnectionNotFound(NotFound):
    title = "Connection not found"


class SchoolNotFound(NotFound):
    title = "School not found"


class ProviderNotAccredited(Conflict):
    title = "Provider not accredited"


class InvalidTransition(Conflict):
    title = "Connection state change refused"


class InvalidScope(KoppelvlakError):
    title = "Invalid scope"


class InvalidLicence(KoppelvlakError):
    title = "Invalid licence"


class InvalidException(KoppelvlakError):
    title = "Invalid exception"


class DpoSignOffRequired(Conflict):
    title = "DPO sign-off required"


class NotPermitted(Forbidden):
    title = "Not permitted"


class BoardNotFound(NotFound):
    title = "Board not found"


class BeforeHistory(KoppelvlakError):
    title = "Moment before the connection's history"
