"""HTTP Basic with the provider's client id and secret (the same credential as OAuth2)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from koppelvlak.api.admin.auth import NotAuthenticated, SessionDep
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import ClientPrincipal

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="koppelvlak-onboarding"'}


class BasicRequired(NotAuthenticated):
    pass


def provider(request: Request, work: SessionDep) -> ClientPrincipal:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise BasicRequired("send the client id and secret with HTTP Basic authentication")
    try:
        client_id, _, secret = (
            base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise BasicRequired("the Basic credentials are not valid base64 of id:secret") from None
    found = providers.authenticate_client(work, client_id, secret, utcnow())
    if found is None:
        raise BasicRequired("unknown client id, or wrong, expired or revoked secret")
    return found


ProviderDep = Annotated[ClientPrincipal, Depends(provider)]
