"""Account errors: each carries its HTTP status and a sentence a school admin can act on."""

from __future__ import annotations

from koppelvlak.errors import Conflict, KoppelvlakError, NotFound


class InvalidAccount(KoppelvlakError):
    status = 422
    title = "Invalid account"


class AccountExists(Conflict):
    title = "Account exists"


class ConsentRequestNotFound(NotFound):
    title = "Consent request not found"


class ConsentLinkUsed(Conflict):
    title = "Link already used"
