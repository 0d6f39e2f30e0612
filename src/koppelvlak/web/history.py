"""Read-only pages over the board's import history and the results providers sent back.

Like the other record pages they call the contexts' own read services (``roster.history``,
``results.history``) with the ``read`` permission, so every role sees them; both are scoped to
the logged-in account's board by the services themselves.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import service as accounts
from koppelvlak.results import history as results
from koppelvlak.roster import history as roster
from koppelvlak.web.pages import HtmlRoute, logged_in, render, unit
from koppelvlak.web.records import provider_names

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/imports")
def import_list(request: Request) -> Response:
    """Every import and sync of the board, newest first, with its counts and warnings."""
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        runs = roster.import_runs(work, who.board_id)
    return render(request, "imports.html", user=who, csrf=csrf, runs=runs)


@router.get("/results")
def result_list(request: Request) -> Response:
    """The result batches providers returned (``BrengLeerresultaten``), newest first."""
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
        batches = results.received_batches(work, who.board_id)
        names = provider_names(work)
    return render(request, "results.html", user=who, csrf=csrf, batches=batches, names=names)
