"""All page routes in one router (the app includes it once) and the local static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from koppelvlak.web import (
    connections,
    consent,
    dashboard,
    history,
    insight,
    login,
    providers,
    records,
    registers,
    rights,
    scope,
)

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {"htmx.min.js": "text/javascript", "style.css": "text/css"}

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(dashboard.router)
router.include_router(connections.router)
router.include_router(scope.router)
router.include_router(providers.router)
router.include_router(consent.router)
router.include_router(insight.router)
router.include_router(records.router)
router.include_router(history.router)
router.include_router(registers.router)
router.include_router(rights.router)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """Only the named files: no directory listing, no path tricks."""
    if name not in _TYPES:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        STATIC / name,
        media_type=_TYPES[name],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
