"""Consent requests by e-mail, and the guardian's page behind the signed link (no account).

The guardian's forms carry a CSRF token bound to the link itself, so a forged form on another
site cannot post a decision. The decision calls ``connections.exceptions.record_consent`` (via
``accounts.consent_requests``); the kept release is settled before the transaction commits, so
the provider sees the change on its next request.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from koppelvlak.accounts import consent_requests
from koppelvlak.accounts import service as accounts
from koppelvlak.kit.clock import utcnow
from koppelvlak.web import security
from koppelvlak.web.forms import Form, read_form
from koppelvlak.web.pages import HtmlRoute, check_csrf, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FormDep = Annotated[Form, Depends(read_form)]


@router.post("/connections/{connection_id}/consent-requests")
def send(request: Request, connection_id: uuid.UUID, form: FormDep) -> Response:
    check_csrf(request, form.get("csrf") or None)
    now = utcnow()
    with unit(request, write=True) as work:
        who, _ = logged_in(request, work)
        accounts.require(who, "exceptions")
        sent = consent_requests.send_requests(
            work,
            who.board_id,
            connection_id,
            link_key=security.key(request, consent_requests.PURPOSE),
            base_url=security.public_url(request),
            actor=who.actor,
            at=now,
        )
        accounts.record_action(
            work,
            who,
            "consent_requests_sent",
            now,
            subject=str(connection_id),
            detail={"sent": sent},
        )
    return RedirectResponse(f"/connections/{connection_id}?done=consent", status_code=303)


@router.get("/consent/{token}")
def guardian_page(request: Request, token: str, done: str = "") -> Response:
    now = utcnow()
    with unit(request) as work:
        found = consent_requests.request_of_link(
            work, security.key(request, consent_requests.PURPOSE), token, now
        )
        page = consent_requests.page(work, found, now)
    return render(
        request,
        "consent.html",
        page=page,
        token=token,
        done=done == "1",
        csrf=security.form_token(request, f"consent:{token}"),
    )


@router.post("/consent/{token}")
def guardian_decides(request: Request, token: str, form: FormDep) -> Response:
    security.check_form(request, f"consent:{token}", form.get("csrf") or None)
    now = utcnow()
    with unit(request, write=True) as work:
        found = consent_requests.request_of_link(
            work, security.key(request, consent_requests.PURPOSE), token, now
        )
        consent_requests.decide(work, found, form.get("action"), now)
    return RedirectResponse(f"/consent/{token}?done=1", status_code=303)
