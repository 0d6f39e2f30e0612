"""The registers page: the board's processing register and the storage register, for reading.

The documents are ``registers.formats`` output, the very HTML and CSV the admin API's
``/admin/api/v1/register/...`` and the CLI produce, with the same ``read`` permission. The HTML
is a standalone document with its own inline style sheet, so it is served under a policy of its
own: no script, no other source, nothing but that inline style (the pages' policy would strip
the style, and it has nothing a script could use).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.accounts import service as accounts
from koppelvlak.errors import NotFound
from koppelvlak.kit.clock import utcnow
from koppelvlak.registers import formats
from koppelvlak.registers import service as registers
from koppelvlak.web.pages import HEADERS, HtmlRoute, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FORMS: dict[str, formats.Format] = {"html": "html", "csv": "csv"}
DOCUMENT_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        "form-action 'none'; base-uri 'none'"
    ),
}


@router.get("/registers")
def register_page(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        accounts.require(who, "read")
    return render(request, "registers.html", user=who, csrf=csrf)


@router.get("/registers/{name}.{form}")
def register_document(request: Request, name: str, form: str) -> Response:
    if name not in {"processing", "storage"} or form not in FORMS:
        raise NotFound("no such register")
    with unit(request) as work:
        who, _ = logged_in(request, work)
        accounts.require(who, "read")
        if name == "processing":
            register = registers.processing_register(work, who.board_id, utcnow())
            body = formats.processing(register, FORMS[form])
        else:
            body = formats.storage(registers.storage_register(), FORMS[form])
    headers = dict(DOCUMENT_HEADERS)
    if form == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{name}-register.csv"'
    return Response(body, media_type=formats.MEDIA_TYPES[form], headers=headers)
