"""Deletion notices over HTTP: the provider lists and acknowledges, the school's admin watches.

``POST /notices/{id}/ack`` and ``GET /notices`` take the provider's OAuth2 bearer token, as the
OneRoster API does (``api/tokens.py``); the credential must still be usable. A notice of another
provider answers 404 like an unknown one, a second acknowledgement 409 with the first one's time,
and neither changes anything. ``GET /admin/api/v1/notices`` lists a board's notices by state;
``/admin/api/v1/deliveries`` lists its push deliveries with their attempts and retries a dead one.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from koppelvlak.api import tokens
from koppelvlak.api.admin.auth import NotAuthenticated, PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.delivery import notices, views, worker
from koppelvlak.delivery.errors import NoticeAlreadyAcknowledged
from koppelvlak.delivery.push import admin_document, notice_document
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.kit.problems import problem_response
from koppelvlak.providers import service as providers
from koppelvlak.runtime import Runtime

router = APIRouter(tags=["notices"])
admin_router = APIRouter(prefix="/admin/api/v1", tags=["admin"])

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="koppelvlak"'}


class BearerRequired(NotAuthenticated):
    pass


def provider_claims(request: Request, work: SessionDep) -> tokens.AccessClaims:
    """The provider behind a valid bearer token whose credential is still usable."""
    runtime: Runtime = request.app.state.runtime
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerRequired("send the provider's access token as 'Authorization: Bearer …'")
    at = utcnow()
    try:
        claims = tokens.verify(runtime.secrets.token_signing_key, token.strip(), at)
    except tokens.InvalidToken as error:
        raise BearerRequired(str(error)) from None
    if not providers.credential_is_usable(work, claims.credential_id, at):
        raise BearerRequired("the credential was revoked or has expired")
    return claims


ClaimsDep = Annotated[tokens.AccessClaims, Depends(provider_claims)]


@router.get("/notices", summary="The provider's deletion notices (open, acknowledged or all)")
def list_notices(
    work: SessionDep,
    claims: ClaimsDep,
    status: Annotated[Literal["open", "acknowledged", "all"], Query()] = "open",
) -> dict[str, Any]:
    found = notices.for_provider(
        work, provider_id=claims.provider_id, status=None if status == "all" else status
    )
    return {"notices": [notice_document(n) for n in found]}


@router.post(
    "/notices/{notice_id}/ack",
    summary="Acknowledge a deletion notice: the person's data was deleted",
    response_model=None,
    responses={
        404: {"description": "Unknown, or another provider's"},
        409: {"description": "Already acknowledged"},
    },
)
def acknowledge(
    notice_id: uuid.UUID, work: SessionDep, claims: ClaimsDep
) -> Response | dict[str, Any]:
    try:
        notice = notices.acknowledge(
            work,
            provider_id=claims.provider_id,
            notice_id=notice_id,
            at=utcnow(),
            actor=f"client:{claims.client_id}",
        )
    except NoticeAlreadyAcknowledged as replay:
        return problem_response(
            409,
            replay.title,
            replay.detail,
            acknowledgedAt=as_utc(replay.acknowledged_at).isoformat(),
        )
    return notice_document(notice)


@admin_router.get("/notices", summary="The board's deletion notices by state")
def board_notices(
    work: SessionDep,
    who: PrincipalDep,
    state: Annotated[Literal["open", "overdue", "acknowledged"], Query()] = "open",
) -> dict[str, Any]:
    require(who, "read")
    found = notices.for_board(work, board_id=who.board_id, state=state, at=utcnow())
    return {"notices": [admin_document(n) for n in found]}


@admin_router.get("/deliveries", summary="The board's push deliveries, newest first")
def board_deliveries(
    work: SessionDep,
    who: PrincipalDep,
    state: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
) -> dict[str, Any]:
    require(who, "read")
    found = worker.deliveries(work, board_id=who.board_id, state=state)
    return {"deliveries": [views.delivery(d) for d in found]}


@admin_router.get("/deliveries/{delivery_id}", summary="One delivery with every attempt")
def one_delivery(delivery_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    row = worker.delivery_of(work, board_id=who.board_id, delivery_id=delivery_id)
    tries = worker.attempts(work, board_id=who.board_id, delivery_id=delivery_id)
    return {**views.delivery(row), "history": [views.attempt(a) for a in tries]}


@admin_router.post("/deliveries/{delivery_id}/retry", summary="Send a dead letter again")
def retry_delivery(delivery_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "decide")
    row = worker.retry(work, board_id=who.board_id, delivery_id=delivery_id, at=utcnow())
    return views.delivery(row)
