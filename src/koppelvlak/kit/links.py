"""Signed, expiring links: a token a person can follow without an account.

A guardian's consent page or a data-subject request link carries its claims (which child,
which connection, which request) in the URL, signed with HMAC-SHA256 under a key derived for
that one purpose, so a token made for one purpose never verifies for another. Each token has a
random ``jti``; whoever must make a link single-use stores the ``jti`` it consumed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from koppelvlak.errors import KoppelvlakError

MAX_TOKEN_CHARS = 2_048


class LinkInvalid(KoppelvlakError):
    status = 400
    title = "Invalid link"


class LinkExpired(KoppelvlakError):
    status = 410
    title = "Link expired"


def derive_key(session_key: bytes, purpose: str) -> bytes:
    """A key of its own per purpose, from the service's session key."""
    return hmac.new(session_key, b"koppelvlak-link:" + purpose.encode(), hashlib.sha256).digest()


def sign(key: bytes, purpose: str, claims: Mapping[str, str], expires_at: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    payload = {
        **claims,
        "purpose": purpose,
        "exp": str(int(expires_at.timestamp())),
        "jti": secrets.token_urlsafe(16),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(key, body))}"


def verify(key: bytes, token: str, purpose: str, now: datetime) -> dict[str, str]:
    """The claims of a token signed with ``key`` for ``purpose`` that has not expired."""
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > MAX_TOKEN_CHARS:
        raise LinkInvalid("the link is incomplete or malformed")
    try:
        given = _unb64(mac)
    except ValueError:
        raise LinkInvalid("the link is incomplete or malformed") from None
    if not hmac.compare_digest(given, _mac(key, body)):
        raise LinkInvalid("the link has been altered or was not made by this service")
    claims = json.loads(_unb64(body))
    if not isinstance(claims, dict) or not all(isinstance(v, str) for v in claims.values()):
        raise LinkInvalid("the link is incomplete or malformed")
    if claims.get("purpose") != purpose:
        raise LinkInvalid("the link was made for something else")
    if int(claims.get("exp", "0")) <= int(now.astimezone(UTC).timestamp()):
        raise LinkExpired("the link has expired; ask the school for a new one")
    return claims


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64url") from error
