"""Policy errors: each carries the status an interface answers with, and changes nothing."""

from __future__ import annotations

from koppelvlak.errors import Conflict, Forbidden, KoppelvlakError, NotFound


class PolicyNotFound(NotFound):
    title = "Policy not found"


class VersionNotFound(NotFound):
    title = "Policy version not found"


class PersonNotFound(NotFound):
    title = "Person not found"


class VersionStateConflict(Conflict):
    title = "Policy version state change refused"


class NothingToWithdraw(Conflict):
    title = "Nothing to withdraw"


class NotTheirChild(Forbidden):
    title = "Not the guardian of this student"


class InvalidPolicy(KoppelvlakError):
    status = 422
    title = "Invalid policy"


class InvalidAcceptance(KoppelvlakError):
    status = 422
    title = "Invalid acceptance"


class RequiredPolicy(KoppelvlakError):
    status = 422
    title = "Required policy"
