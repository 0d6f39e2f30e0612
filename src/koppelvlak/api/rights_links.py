"""Public pages for link-filed requests: a person or guardian follows a signed link, sees what
the request does, and sends it once — as an HTML form, or as JSON for an app.

The page shows no personal data (only the kind of request), since whoever holds the link sees
it. The form carries a CSRF token bound to the link (``kit.csrf``); the link's claims decide
the person and the kind, never the form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, JSONResponse, Response

from koppelvlak.api.admin.auth import SessionDep
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import as_utc, utcnow
from koppelvlak.kit.problems import problem_response
from koppelvlak.rights import links
from koppelvlak.runtime import Runtime

router = APIRouter(prefix="/rights/links", tags=["rights"])

_pages = Environment(
    loader=PackageLoader("koppelvlak.api", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error(request: Request, error: KoppelvlakError) -> Response:
    if _wants_json(request):
        return problem_response(error.status, error.title, error.detail, headers=_HEADERS)
    page = _pages.get_template("rights_link_error.html").render(error=error)
    return HTMLResponse(page, status_code=error.status, headers=_HEADERS)


@router.get("/{token}", summary="The request a signed link files, with its form token")
def show(token: str, request: Request, work: SessionDep) -> Response:
    runtime: Runtime = request.app.state.runtime
    key = runtime.secrets.session_key
    try:
        claims = links.read_link(work, key, token, utcnow())
    except KoppelvlakError as error:
        return _error(request, error)
    form_token = links.form_token(key, claims)
    if _wants_json(request):
        body = {"kind": claims.kind.value, "for": claims.filed_by, "csrf_token": form_token}
        return JSONResponse(body, headers=_HEADERS)
    page = _pages.get_template("rights_link_form.html").render(
        kind=claims.kind.value, guardian=claims.filed_by != "person", csrf_token=form_token
    )
    return HTMLResponse(page, headers=_HEADERS)


@router.post("/{token}", status_code=201, summary="File the link's request (once)")
def send(
    token: str,
    request: Request,
    work: SessionDep,
    *,
    csrf_token: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form(max_length=256)] = None,
    details: Annotated[str | None, Form(max_length=2_000)] = None,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        filed = links.file_by_link(
            work,
            runtime.secrets.session_key,
            token,
            at=utcnow(),
            form_token=csrf_token,
            contact_email=email,
            details=details,
            dpo_email=runtime.settings.dpo_email,
        )
    except KoppelvlakError as error:
        work.rollback()
        return _error(request, error)
    deadline = as_utc(filed.deadline)
    if _wants_json(request):
        body = {
            "request_id": str(filed.id),
            "kind": filed.kind.value,
            "state": filed.state.value,
            "deadline": deadline.isoformat(),
        }
        return JSONResponse(body, status_code=201, headers=_HEADERS)
    page = _pages.get_template("rights_link_done.html").render(
        reference=filed.id, kind=filed.kind.value, deadline=deadline.strftime("%Y-%m-%d")
    )
    return HTMLResponse(page, status_code=201, headers=_HEADERS)
