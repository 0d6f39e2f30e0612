"""HTTP Basic with the provider's client id and secret (the same credential as OAuth2).

Failed checks are counted per client address and per client id (``api/ratelimit.py``); while
either is over its limit the caller gets 429 before its secret is even checked.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from koppelvlak.api.admin.auth import NotAuthenticated, SessionDep
from koppelvlak.api.ratelimit import FailedAttempts, RateLimiter, TooManyAttempts, client_address
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import ClientPrincipal

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="koppelvlak-onboarding"'}


class BasicRequired(NotAuthenticated):
    pass


def provider(request: Request, work: SessionDep) -> ClientPrincipal:
    """The provider behind the Basic credentials; failures count towards a lock-out."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise BasicRequired("send the client id and secret with HTTP Basic authentication")
    attempts: FailedAttempts = request.app.state.limits.failed_attempts
    address = client_address(request)
    try:
        client_id, _, secret = (
            base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        attempts.check(address, None)
        attempts.failed(address, None)
        raise BasicRequired("the Basic credentials are not valid base64 of id:secret") from None
    credential = f"client:{client_id[:128]}"
    attempts.check(address, credential)
    found = providers.authenticate_client(work, client_id, secret, utcnow())
    if found is None:
        attempts.failed(address, credential)
        raise BasicRequired("unknown client id, or wrong, expired or revoked secret")
    return found


def application_allowance(request: Request) -> None:
    """Bound what a caller without a credential can create: applications per address."""
    limiter: RateLimiter = request.app.state.limits.applications
    wait = limiter.retry_after(f"apply:{client_address(request)}")
    if wait is not None:
        raise TooManyAttempts(
            "too many applications from this address; try again later", retry_after=wait
        )


ProviderDep = Annotated[ClientPrincipal, Depends(provider)]
