"""Insight downloads: disclosures per day and provider as CSV, from the board's ledger."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import overview
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.web.pages import HtmlRoute, logged_in, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


def _cell(text: str) -> str:
    """A spreadsheet never runs a cell as a formula (the register's rule, ADR 0095)."""
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@router.get("/insight/disclosures.csv")
def disclosures_csv(request: Request) -> Response:
    with unit(request) as work:
        who, _ = logged_in(request, work)
        rows = overview.disclosures_by_provider(work, who.board_id, utcnow().date())
        names = {p.provider_id: p.name for p in providers.list_providers(work)}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["day", "provider_id", "provider", "disclosures"])
    for day, provider_id, count in rows:
        writer.writerow([day.isoformat(), provider_id, _cell(names.get(provider_id, "")), count])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="disclosures.csv"',
            "Cache-Control": "no-store",
        },
    )
