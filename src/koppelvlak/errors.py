"""The one base class for domain errors.

Every context raises subclasses that carry an HTTP status and a problem type, so each
interface (problem+json, OneRoster status info, SOAP fault, CLI line) renders them once,
in one place, instead of every route inventing its own message.
"""

from __future__ import annotations


class KoppelvlakError(Exception):
    """A failure a user can understand and act on; never shown with a traceback."""

    status: int = 400
    problem_type: str = "about:blank"
    title: str = "Bad request"

    def __init__(self, detail: str, *, location: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.location = location

    def __str__(self) -> str:
        if self.location:
            return f"{self.location}: {self.detail}"
        return self.detail


class NotFound(KoppelvlakError):
    status = 404
    title = "Not found"


class Conflict(KoppelvlakError):
    status = 409
    title = "Conflict"


class Forbidden(KoppelvlakError):
    status = 403
    title = "Forbidden"


class ConfigurationError(KoppelvlakError):
    """A bad KOPPELVLAK_* setting or an unusable key file."""

    status = 500
    title = "Configuration error"


class DatabaseUnavailable(KoppelvlakError):
    status = 503
    title = "Database unavailable"


class Ambiguous(KoppelvlakError):
    """A name or key an admin typed fits several records; the message lists them."""

    status = 409
    title = "Ambiguous name"
