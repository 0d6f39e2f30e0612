"""Read-only pages over what the delivery, incident and mandate contexts keep, plus one action.

Each page makes the same service call as its admin JSON API route (``api/notices.py``,
``api/admin/incidents.py``, ``api/admin/mandates.py``) with the same permission: every role may
read. The one action, sending a dead delivery again, calls ``delivery.worker.retry`` exactly as
``POST /admin/api/v1/deliveries/{id}/retry`` does, needs the ``decide`` permission (admins) and a
CSRF token, and lands in the accounts audit trail in the same transaction. Another board's
delivery is unknown to that service, so its id answers 404 here as there.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from koppelvlak.accounts import service as accounts
from koppelvlak.delivery import notices, views, worker
from koppelvlak.incidents import service as incidents
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.mandates import service as mandates
from koppelvlak.providers import service as providers
from koppelvlak.web.forms import Form, read_form
from koppelvlak.web.pages import HtmlRoute, check_csrf, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FormDep = Annotated[Form, Depends(read_form)]
NOTICE_STATES = ("open", "overdue", "acknowledged")
DELIVERY_STATES = ("pending", "delivered", "dead")


def provider_names(work: Session) -> dict[uuid.UUID, str]:
    """Provider ids to names, so a page shows who, not a UUID (the catalogue is public)."""
    return {p.provider_id: p.name for p in providers.list_providers(work)}


@router.get("/deletion-notices")
def notice_list(request: Request, state: str = "open") -> Response:
    """A board's deletion notices by state; an unknown state shows the open ones."""
    state = state if state in NOTICE_STATES else "open"
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        found = notices.for_board(work, board_id=who.board_id, state=state, at=now)
        names = provider_names(work)
    return render(
        request,
        "notices.html",
        user=who,
        csrf=csrf,
        notices=found,
        names=names,
        state=state,
        states=NOTICE_STATES,
        now=now,
        as_utc=as_utc,
    )


@router.get("/deliveries")
def delivery_list(request: Request, state: str = "", done: str = "") -> Response:
    """The board's push deliveries, newest first; dead letters carry a retry button for admins."""
    chosen = state if state in DELIVERY_STATES else None
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        rows = worker.deliveries(work, board_id=who.board_id, state=chosen)
        found = [views.delivery(d) for d in rows]
        names = provider_names(work)
    return render(
        request,
        "deliveries.html",
        user=who,
        csrf=csrf,
        deliveries=found,
        names={str(k): v for k, v in names.items()},
        state=chosen or "",
        states=DELIVERY_STATES,
        may_retry=who.may("decide"),
        done=done == "retry",
    )


@router.post("/deliveries/{delivery_id}/retry")
def retry(request: Request, delivery_id: uuid.UUID, form: FormDep) -> Response:
    check_csrf(request, form.get("csrf") or None)
    now = utcnow()
    with unit(request, write=True) as work:
        who, _ = logged_in(request, work)
        accounts.require(who, "decide")
        worker.retry(work, board_id=who.board_id, delivery_id=delivery_id, at=now)
        accounts.record_action(work, who, "delivery_retry", now, subject=str(delivery_id))
    return RedirectResponse("/deliveries?done=retry", status_code=303)


@router.get("/incident-reports")
def incident_list(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        found = incidents.incidents(work, who.board_id, utcnow())
    return render(request, "incidents.html", user=who, csrf=csrf, incidents=found)


@router.get("/mandates")
def mandate_list(request: Request) -> Response:
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        found = mandates.mandates(work, who.board_id, now)
        refused = mandates.refusals(work, who.board_id)
    return render(request, "mandates.html", user=who, csrf=csrf, mandates=found, refusals=refused)
