"""Short-lived signed access tokens (JWT, HS256 with the runtime's token signing key).

A token names its credential (``sub``), client and provider and the granted scopes. It is only
half the check: every request also asks ``providers`` whether the credential is still usable, so
revoking a secret or a connection works at once, however long the token has left.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

ISSUER = "koppelvlak"
AUDIENCE = "koppelvlak:oneroster"
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
ROSTER_CORE = SCOPE_PREFIX + "roster-core.readonly"
ROSTER = SCOPE_PREFIX + "roster.readonly"
DEMOGRAPHICS = SCOPE_PREFIX + "roster-demographics.readonly"
SUPPORTED_SCOPES = (ROSTER_CORE, ROSTER, DEMOGRAPHICS)


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class AccessClaims:
    credential_id: uuid.UUID
    client_id: str
    provider_id: uuid.UUID
    scopes: frozenset[str]
    token_id: str
    expires_at: int


def issue(
    key: bytes,
    *,
    credential_id: uuid.UUID,
    client_id: str,
    provider_id: uuid.UUID,
    scopes: tuple[str, ...],
    now: datetime,
    lifetime_seconds: int,
) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(credential_id),
        "client_id": client_id,
        "provider_id": str(provider_id),
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_seconds)).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key, algorithm="HS256")


_VERIFIED_LIMIT = 10_000
_verified: dict[tuple[bytes, str], AccessClaims] = {}


def verify(key: bytes, token: str, now: datetime) -> AccessClaims:
    """The token's claims, if ``key`` signed it and it has not expired at ``now``.

    The signature and claim checks of one token under one key always come out the same (and
    its ``nbf``/``iat`` only matter before it was first accepted), so a process remembers the
    tokens it accepted (bounded) and checks only the expiry again on every request; that was
    a tenth of a page's CPU. Revocation is not a token matter: every request still asks
    whether the credential and its connections are usable.
    """
    known = _verified.get((key, token))
    if known is not None:
        if known.expires_at <= int(now.timestamp()):
            raise InvalidToken("the access token has expired")
        return known
    claims = _decode(key, token, now)
    if len(_verified) >= _VERIFIED_LIMIT:
        _verified.clear()
    _verified[(key, token)] = claims
    return claims


def _decode(key: bytes, token: str, now: datetime) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"], "verify_exp": False},
        )
        if int(claims["exp"]) <= int(now.timestamp()):
            raise InvalidToken("the access token has expired")
        return AccessClaims(
            credential_id=uuid.UUID(str(claims["sub"])),
            client_id=str(claims["client_id"]),
            provider_id=uuid.UUID(str(claims["provider_id"])),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        raise InvalidToken("the access token is invalid") from None
