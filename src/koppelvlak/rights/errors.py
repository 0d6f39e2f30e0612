"""Rights errors: unknown people or requests, refused steps, missing reasons, used links."""

from __future__ import annotations

from koppelvlak.errors import Conflict, KoppelvlakError, NotFound


class PersonNotFound(NotFound):
    title = "Person not found"


class RequestNotFound(NotFound):
    title = "Request not found"


class DuplicateRequest(Conflict):
    title = "Request already open"


class StepRefused(Conflict):
    """The request is not in a state where this step may be taken."""

    title = "Step refused"


class ReasonRequired(KoppelvlakError):
    status = 422
    title = "Reason required"


class InvalidRequest(KoppelvlakError):
    status = 422
    title = "Invalid request"


class LinkUsed(KoppelvlakError):
    status = 410
    title = "Link already used"
