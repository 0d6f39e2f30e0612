"""Admin API: the board's processing register and the storage register, as JSON, CSV or HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.registers import formats, service

router = APIRouter(prefix="/admin/api/v1/register", tags=["admin"])

FormatQuery = Annotated[formats.Format, Query(alias="format", description="json, csv or html")]


@router.get("/processing", summary="The board's processing register (GDPR article 30)")
def processing(work: SessionDep, who: PrincipalDep, form: FormatQuery = "json") -> Response:
    require(who, "read")
    register = service.processing_register(work, who.board_id, utcnow())
    return _answer(formats.processing(register, form), form, "processing-register")


@router.get("/storage", summary="Which tables store personal data, per personal-data label")
def storage(who: PrincipalDep, form: FormatQuery = "json") -> Response:
    require(who, "read")
    return _answer(formats.storage(service.storage_register(), form), form, "storage-register")


def _answer(body: str, form: str, name: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if form == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return Response(body, media_type=formats.MEDIA_TYPES[form], headers=headers)
