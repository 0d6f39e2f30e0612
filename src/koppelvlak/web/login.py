"""Log in, log out and the language link.

Failed logins count twice: per account on its row (5 wrong passwords lock it for 15 minutes,
``accounts.service``) and per client address in the rate-limit store shared with the provider
API (``api/ratelimit.py``), so guessing across many e-mail addresses is slowed down too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from koppelvlak.accounts import service as accounts
from koppelvlak.accounts.service import Principal
from koppelvlak.api.ratelimit import FailedAttempts, client_address
from koppelvlak.kit.clock import utcnow
from koppelvlak.web import i18n, security
from koppelvlak.web.forms import Form, read_form
from koppelvlak.web.pages import HtmlRoute, check_csrf, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FormDep = Annotated[Form, Depends(read_form)]


@router.get("/login")
def login_page(request: Request) -> Response:
    value, binding = security.new_login_binding()
    page = render(request, "login.html", csrf=security.form_token(request, binding))
    security.set_login_cookie(request, page, value)
    return page


@router.post("/login")
def log_in(request: Request, form: FormDep) -> Response:
    binding = security.login_binding(request)
    security.check_form(request, binding or "none", form.get("csrf") or None)
    attempts: FailedAttempts = request.app.state.limits.failed_attempts
    address = client_address(request)
    attempts.check(address, None)
    now = utcnow()
    with unit(request, write=True) as work:
        outcome = accounts.log_in(
            work, form.get("board"), form.get("email"), form.get("password"), now
        )
    if not isinstance(outcome, Principal):
        attempts.failed(address, None)
        t = i18n.translator(i18n.language(request))
        return render(
            request,
            "login.html",
            status=401,
            csrf=security.form_token(request, binding or "none"),
            message=t(f"login.{outcome.value}"),
            board=form.get("board"),
            email=form.get("email"),
        )
    response = RedirectResponse("/", status_code=303)
    security.set_session(request, response, outcome.account_id, now)
    return response


@router.post("/logout")
def log_out(request: Request, form: FormDep) -> Response:
    check_csrf(request, form.get("csrf") or None)
    with unit(request, write=True) as work:
        who, _ = logged_in(request, work)
        accounts.log_out(work, who, utcnow())
    response = RedirectResponse("/login", status_code=303)
    security.clear_session(response)
    return response


@router.get("/lang/{code}")
def choose_language(request: Request, code: str, next: str = "/") -> Response:
    """Set the language cookie and go back; only to a path on this site (no open redirect)."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in i18n.CATALOGUES:
        response.set_cookie(
            security.LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=security.secure(request),
            path="/",
        )
    return response
