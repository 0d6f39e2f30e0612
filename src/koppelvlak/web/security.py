"""Session cookies and form tokens of the school's pages.

The session cookie is a ``kit.links`` token (purpose ``web-session``, HMAC-SHA256 under a key
derived from the service's session key) naming the account and the moment it was issued; it is
HttpOnly, SameSite=Lax, and Secure whenever the public URL is https. Logging out moves the
account's ``sessions_valid_after`` past that moment, so a copied cookie dies with the logout.
Every form carries a ``kit.csrf`` token bound to the session's random ``jti`` (admin pages), to a
pre-login cookie (the login form) or to the guardian's signed link (consent pages).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from koppelvlak.kit import csrf, links
from koppelvlak.runtime import Runtime

SESSION_COOKIE = "kv_session"
LOGIN_COOKIE = "kv_login"
LANGUAGE_COOKIE = "kv_lang"
SESSION_HOURS = 8
_SESSION = "web-session"


@dataclass(frozen=True)
class SessionClaims:
    account_id: uuid.UUID
    issued_at: datetime
    jti: str


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def key(request: Request, purpose: str) -> bytes:
    return links.derive_key(_runtime(request).secrets.session_key, purpose)


def secure(request: Request) -> bool:
    return _runtime(request).settings.public_url.startswith("https://")


def public_url(request: Request) -> str:
    return _runtime(request).settings.public_url


def set_session(request: Request, response: Response, account_id: uuid.UUID, at: datetime) -> None:
    token = links.sign(
        key(request, _SESSION),
        _SESSION,
        {"account": str(account_id), "iat": str(round(at.timestamp() * 1_000_000))},
        at + timedelta(hours=SESSION_HOURS),
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_claims(request: Request, at: datetime) -> SessionClaims | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = links.verify(key(request, _SESSION), token, _SESSION, at)
        return SessionClaims(
            uuid.UUID(claims["account"]),
            datetime.fromtimestamp(int(claims["iat"]) / 1_000_000, UTC),
            claims["jti"],
        )
    except (links.LinkInvalid, links.LinkExpired, KeyError, ValueError):
        return None


def form_token(request: Request, binding: str) -> str:
    return csrf.issue(key(request, "csrf"), binding)


def check_form(request: Request, binding: str, token: str | None) -> None:
    """403 ``CsrfRefused`` unless the form's token matches its binding."""
    csrf.check(key(request, "csrf"), binding, token)


def login_binding(request: Request) -> str | None:
    value = request.cookies.get(LOGIN_COOKIE)
    return f"login:{value}" if value else None


def new_login_binding() -> tuple[str, str]:
    """A fresh pre-login value (for the cookie) and the binding its form token is made for."""
    value = secrets.token_urlsafe(18)
    return value, f"login:{value}"


def set_login_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/login",
    )
