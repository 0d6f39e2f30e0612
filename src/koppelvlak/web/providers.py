"""The provider catalogue: each provider with its accreditation evidence and privacy statement."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.connections import service as connections
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.web.pages import HtmlRoute, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@router.get("/providers")
def catalogue(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        found = providers.list_providers(work)
    return render(request, "providers.html", user=who, csrf=csrf, providers=found)


@router.get("/providers/{provider_id}")
def provider_page(request: Request, provider_id: uuid.UUID) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        provider = providers.get_provider(work, provider_id)
        ours = [
            c
            for c in connections.connections_for_board(work, who.board_id, utcnow())
            if c.provider_id == provider_id
        ]
    return render(
        request, "provider.html", user=who, csrf=csrf, provider=provider, connections=ours
    )
