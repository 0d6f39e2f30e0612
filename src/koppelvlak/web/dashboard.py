"""The dashboard and the activity log: what waits, what is shared, whether the ledger holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import overview
from koppelvlak.accounts import service as accounts
from koppelvlak.kit.clock import utcnow
from koppelvlak.web import chart
from koppelvlak.web.pages import HtmlRoute, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/")
def dashboard(request: Request) -> Response:
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        figures = overview.dashboard(work, who.board_id, now)
        series = overview.disclosures_per_day(work, who.board_id, now.date())
        recent = accounts.recent_actions(work, who.board_id, limit=8)
        board = accounts.board_name(work, who.board_id)
    return render(
        request,
        "dashboard.html",
        user=who,
        csrf=csrf,
        figures=figures,
        bars=chart.bars(series),
        chart=chart,
        recent=recent,
        board=board,
    )


@router.get("/activity")
def activity(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        recent = accounts.recent_actions(work, who.board_id, limit=200)
    return render(request, "activity.html", user=who, csrf=csrf, recent=recent)
