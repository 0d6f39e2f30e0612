"""Rendering and request plumbing of the pages: templates, the unit of work, who is logged in.

Every page runs its service calls inside ``unit``: one transaction, committed before the answer
is rendered, rolled back on any error. ``HtmlRoute`` turns a domain error into an HTML page with
the error's status (never a traceback, never JSON to a browser), and a missing login into a
redirect to the login page. Templates are autoescaped: a name with HTML in it shows as text.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from koppelvlak.accounts import service as accounts
from koppelvlak.accounts.service import Principal
from koppelvlak.api.ratelimit import TooManyAttempts
from koppelvlak.errors import KoppelvlakError
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime
from koppelvlak.web import i18n, security

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Guardian links carry their token in the path: never leak it to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class NotLoggedIn(KoppelvlakError):
    status = 401
    title = "Not logged in"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    user: Principal | None = None,
    csrf: str | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = i18n.language(request)
    html = _env.get_template(template).render(
        t=i18n.translator(lang),
        lang=lang,
        user=user,
        csrf=csrf,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


@contextmanager
def unit(request: Request, *, write: bool = False) -> Iterator[Session]:
    runtime: Runtime = request.app.state.runtime
    with runtime.unit_of_work(write=write) as work:
        yield work


def logged_in(request: Request, work: Session) -> tuple[Principal, str]:
    """The logged-in account and the CSRF token its forms carry; else ``NotLoggedIn``."""
    claims = security.session_claims(request, utcnow())
    who = (
        accounts.principal_of_session(work, claims.account_id, claims.issued_at) if claims else None
    )
    if claims is None or who is None:
        raise NotLoggedIn("log in first")
    return who, security.form_token(request, f"session:{claims.jti}")


def check_csrf(request: Request, token: str | None) -> None:
    claims = security.session_claims(request, utcnow())
    security.check_form(request, f"session:{claims.jti}" if claims else "none", token)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, detail=detail)


class HtmlRoute(APIRoute):
    """A page route: domain errors become an HTML page with their status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except NotLoggedIn:
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return error_page(request, 401, "Not logged in", "log in first")
            except TooManyAttempts as error:
                page = error_page(request, 429, error.title, error.detail)
                page.headers["Retry-After"] = str(error.retry_after)
                return page
            except KoppelvlakError as error:
                return error_page(request, error.status, error.title, error.detail)
            except RequestValidationError:
                return error_page(request, 404, "Not found", "no such page")

        return handler
