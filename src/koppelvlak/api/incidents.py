"""``POST /incidents``: a provider reports an outage or a suspected breach of its connections.

Authenticated with the provider's OAuth2 access token (``/oauth/token``, any of its scopes);
the credential must still be usable, so a revoked secret stops reporting at once. A connection
that is not the provider's answers 404 and nothing is stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from koppelvlak.api import tokens
from koppelvlak.api.admin.auth import NotAuthenticated, SessionDep
from koppelvlak.incidents import service as incidents
from koppelvlak.incidents.models import IncidentKind
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.runtime import Runtime

router = APIRouter(tags=["incidents"])


class IncidentReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IncidentKind
    summary: str = Field(min_length=1, max_length=incidents.MAX_SUMMARY)
    connection_ids: list[uuid.UUID] = Field(min_length=1, max_length=incidents.MAX_CONNECTIONS)
    started_at: datetime | None = None


def provider_claims(request: Request, work: SessionDep) -> tokens.AccessClaims:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send the access token as 'Authorization: Bearer <token>'")
    runtime: Runtime = request.app.state.runtime
    now = utcnow()
    try:
        claims = tokens.verify(runtime.secrets.token_signing_key, token.strip(), now)
    except tokens.InvalidToken as error:
        raise NotAuthenticated(str(error)) from None
    if not providers.credential_is_usable(work, claims.credential_id, now):
        raise NotAuthenticated("the credential was revoked or has expired")
    return claims


ClaimsDep = Annotated[tokens.AccessClaims, Depends(provider_claims)]


@router.post("/incidents", status_code=201, summary="Report an outage or a suspected breach")
def report(body: IncidentReport, work: SessionDep, claims: ClaimsDep) -> dict[str, Any]:
    stored = incidents.report(
        work,
        provider_id=claims.provider_id,
        reported_by=claims.client_id,
        kind=body.kind,
        summary=body.summary,
        connection_ids=body.connection_ids,
        started_at=body.started_at,
        at=utcnow(),
    )
    return {
        "incidents": [
            {
                "id": str(v.incident_id),
                "kind": v.kind,
                "reported_at": v.reported_at.isoformat(),
                "connection_ids": [str(c) for c in v.connection_ids],
            }
            for v in stored
        ]
    }
