"""The board's data-subject requests: the open ones with their deadlines, and one with its steps.

The pages call ``rights.requests`` as ``api/admin/rights.py`` does, with its permission
(``exceptions``: admins and the DPO). A viewer is refused (403) as in the API: a request names a
person and often what they asked, which is more than a viewer's overview needs. Another board's
request is not found by ``requests.get``, so its id answers 404.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import service as accounts
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.rights import requests
from koppelvlak.web.pages import HtmlRoute, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/rights-requests")
def request_list(request: Request, show: str = "open") -> Response:
    open_only = show != "all"
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "exceptions")
        found = requests.requests_of_board(work, who.board_id, open_only=open_only)
    return render(
        request,
        "rights.html",
        user=who,
        csrf=csrf,
        requests=found,
        open_only=open_only,
        now=utcnow(),
        as_utc=as_utc,
    )


@router.get("/rights-requests/{request_id}")
def request_page(request: Request, request_id: uuid.UUID) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "exceptions")
        found = requests.get(work, who.board_id, request_id)
        steps = requests.events(work, who.board_id, request_id)
    return render(
        request,
        "rights_request.html",
        user=who,
        csrf=csrf,
        req=found,
        steps=steps,
        now=utcnow(),
        as_utc=as_utc,
    )
