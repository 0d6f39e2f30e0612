"""Admin API: data-subject requests — file, check identity, approve or refuse, extend, carry
out, download an access export, and make a signed link for a person or a guardian.

Admins and the DPO file requests and check identity; the DPO decides and carries out. Every
route acts for the token's board only: another board's request or person answers 404.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.rights import actions, export, links, requests
from koppelvlak.rights.errors import StepRefused
from koppelvlak.rights.models import RequestKind, RequestState
from koppelvlak.rights.schemas import (
    FileRequestBody,
    LinkBody,
    LinkOut,
    NoteBody,
    ReasonBody,
    RequestOut,
)
from koppelvlak.runtime import Runtime

router = APIRouter(prefix="/admin/api/v1/rights", tags=["admin"])

ZIP = "application/zip"


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/requests", status_code=201, summary="File a data-subject request for a person")
def file_request(
    body: FileRequestBody, http: Request, work: SessionDep, who: PrincipalDep
) -> RequestOut:
    require(who, "exceptions")
    filing = requests.Filing(
        kind=body.kind,
        person_id=body.person_id,
        actor=who.actor,
        provider_id=body.provider_id,
        contact_email=body.contact_email,
        details=body.details,
    )
    dpo = _runtime(http).settings.dpo_email
    filed = requests.file_request(work, who.board_id, filing, at=utcnow(), dpo_email=dpo)
    return RequestOut.of(filed, requests.events(work, who.board_id, filed.id))


@router.get("/requests", summary="The board's data-subject requests, oldest first")
def list_requests(
    work: SessionDep,
    who: PrincipalDep,
    open_only: Annotated[bool, Query(alias="open", description="only open requests")] = False,
) -> dict[str, list[RequestOut]]:
    require(who, "exceptions")
    found = requests.requests_of_board(work, who.board_id, open_only=open_only)
    return {"requests": [RequestOut.of(r) for r in found]}


@router.get("/requests/{request_id}", summary="One request with every step taken on it")
def get_request(request_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> RequestOut:
    require(who, "exceptions")
    return _out(work, who.board_id, request_id)


def _out(work: SessionDep, board_id: uuid.UUID, request_id: uuid.UUID) -> RequestOut:
    found = requests.get(work, board_id, request_id)
    return RequestOut.of(found, requests.events(work, board_id, request_id))


@router.post("/requests/{request_id}/identity-check", summary="The requester's identity is checked")
def check_identity(
    request_id: uuid.UUID, body: NoteBody, work: SessionDep, who: PrincipalDep
) -> RequestOut:
    require(who, "exceptions")
    requests.check_identity(
        work, who.board_id, request_id, actor=who.actor, at=utcnow(), note=body.note
    )
    return _out(work, who.board_id, request_id)


@router.post("/requests/{request_id}/approve", summary="Approve the request (DPO)")
def approve(request_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> RequestOut:
    require(who, "sign_off")
    requests.approve(work, who.board_id, request_id, actor=who.actor, at=utcnow())
    return _out(work, who.board_id, request_id)


@router.post("/requests/{request_id}/refuse", summary="Refuse the request with a reason (DPO)")
def refuse(
    request_id: uuid.UUID, body: ReasonBody, work: SessionDep, who: PrincipalDep
) -> RequestOut:
    require(who, "sign_off")
    requests.refuse(
        work, who.board_id, request_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _out(work, who.board_id, request_id)


@router.post("/requests/{request_id}/extend", summary="Extend the deadline once by two months")
def extend(
    request_id: uuid.UUID, body: ReasonBody, work: SessionDep, who: PrincipalDep
) -> RequestOut:
    require(who, "sign_off")
    requests.extend(
        work, who.board_id, request_id, actor=who.actor, at=utcnow(), reason=body.reason
    )
    return _out(work, who.board_id, request_id)


@router.post("/requests/{request_id}/carry-out", summary="Carry out the approved request (DPO)")
def carry_out(
    request_id: uuid.UUID, body: NoteBody, work: SessionDep, who: PrincipalDep
) -> RequestOut:
    require(who, "sign_off")
    actions.carry_out(work, who.board_id, request_id, actor=who.actor, at=utcnow(), note=body.note)
    return _out(work, who.board_id, request_id)


@router.get(
    "/requests/{request_id}/export",
    summary="The access export of an approved or carried-out access request (ZIP)",
    response_class=Response,
    responses={200: {"content": {ZIP: {}}}},
)
def download_export(request_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> Response:
    require(who, "sign_off")
    found = requests.get(work, who.board_id, request_id)
    if found.kind is not RequestKind.ACCESS:
        raise StepRefused(f"a {found.kind} request has no export")
    if found.state not in (RequestState.APPROVED, RequestState.CARRIED_OUT):
        raise StepRefused(f"the request is {found.state}; it must be approved first")
    body = export.export_person(work, who.board_id, requests.subject_of(found), utcnow())
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="access-{found.id}.zip"',
    }
    return Response(body, media_type=ZIP, headers=headers)


@router.post("/links", status_code=201, summary="A signed, single-use request link")
def make_link(body: LinkBody, http: Request, work: SessionDep, who: PrincipalDep) -> LinkOut:
    require(who, "exceptions")
    runtime = _runtime(http)
    issued = links.make_link(
        work,
        runtime.secrets.session_key,
        who.board_id,
        body.person_id,
        body.kind,
        at=utcnow(),
        guardian_id=body.guardian_id,
        provider_id=body.provider_id,
        valid_for=timedelta(days=body.valid_days),
    )
    return LinkOut(url=issued.url(runtime.settings.public_url), expires_at=issued.expires_at)
