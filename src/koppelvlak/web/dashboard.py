"""The dashboard and the activity log: what waits, what is shared, whether the ledger holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import overview
from koppelvlak.accounts import service as accounts
from koppelvlak.delivery import notices
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.rights import requests
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
        open_notices = notices.for_board(work, board_id=who.board_id, state="open", at=now)
        overdue = notices.overdue(work, board_id=who.board_id, at=now)
        # Requests name people: only the roles the rights pages admit see them counted here.
        rights = (
            requests.requests_of_board(work, who.board_id, open_only=True)
            if who.may("exceptions")
            else None
        )
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
        open_notices=len(open_notices),
        overdue_notices=len(overdue),
        rights=rights,
        now=now,
        as_utc=as_utc,
    )


@router.get("/activity")
def activity(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        recent = accounts.recent_actions(work, who.board_id, limit=200)
    return render(request, "activity.html", user=who, csrf=csrf, recent=recent)
