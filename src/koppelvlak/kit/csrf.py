"""CSRF tokens for HTML forms: an HMAC of what the form is bound to.

A form token is bound to the login session (admin pages) or to the signed link (guardian
pages), so a page of another session, or a forged form on another site, cannot post it. No
cookie of its own and no server state: the binding already is the secret the attacker lacks.
"""

from __future__ import annotations

import hashlib
import hmac

from koppelvlak.errors import KoppelvlakError


class CsrfRefused(KoppelvlakError):
    status = 403
    title = "Form refused"


def issue(key: bytes, binding: str) -> str:
    return hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def check(key: bytes, binding: str, token: str | None) -> None:
    if not token or not hmac.compare_digest(token.encode(), issue(key, binding).encode()):
        raise CsrfRefused("the form has no valid security token; reload the page and send it again")
