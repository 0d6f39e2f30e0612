"""Connection pages: the list, one connection with its dataset and history, and the decisions.

Each decision calls the same service function as the admin JSON API (``connections.service``,
``connections.flows``), checks the role with the same permission table, and writes the admin's
action to the accounts audit trail in the same transaction. Another board's connection is not
found by those services, so its id answers 404 here as there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from koppelvlak.accounts import scope_preview
from koppelvlak.accounts import service as accounts
from koppelvlak.catalogue import service as catalogue
from koppelvlak.connections import flows
from koppelvlak.connections import service as connections
from koppelvlak.errors import NotFound
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.web.forms import Form, read_form
from koppelvlak.web.pages import HtmlRoute, check_csrf, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FormDep = Annotated[Form, Depends(read_form)]
Decide = Callable[[Session, uuid.UUID, uuid.UUID, str, datetime, str], object]


def _sign_off(work: Session, board: uuid.UUID, cid: uuid.UUID, actor: str, at: datetime) -> None:
    """As the admin API: a pending version of a running connection, else the request itself."""
    connection = connections.get(work, board, cid)
    if connection.pending_version_id is not None and connection.state.value in {
        "active",
        "suspended",
    }:
        flows.sign_off_version(work, board, cid, actor=actor, at=at)
    else:
        connections.sign_off(work, board, cid, actor=actor, at=at)


ACTIONS: dict[str, tuple[str, Decide]] = {
    "approve": ("decide", lambda w, b, c, a, t, r: connections.approve(w, b, c, actor=a, at=t)),
    "sign-off": ("sign_off", lambda w, b, c, a, t, r: _sign_off(w, b, c, a, t)),
    "refuse": (
        "decide",
        lambda w, b, c, a, t, r: connections.refuse(w, b, c, actor=a, at=t, reason=r),
    ),
    "suspend": (
        "decide",
        lambda w, b, c, a, t, r: connections.suspend(w, b, c, actor=a, at=t, reason=r),
    ),
    "resume": ("decide", lambda w, b, c, a, t, r: connections.resume(w, b, c, actor=a, at=t)),
    "revoke": (
        "decide",
        lambda w, b, c, a, t, r: connections.revoke(w, b, c, actor=a, at=t, reason=r),
    ),
    "approve-version": (
        "decide",
        lambda w, b, c, a, t, r: flows.approve_version(w, b, c, actor=a, at=t),
    ),
    "refuse-version": (
        "decide",
        lambda w, b, c, a, t, r: flows.refuse_version(w, b, c, actor=a, at=t, reason=r),
    ),
}
# Which decisions each state offers on the page (the services still decide what is allowed).
OFFERED = {
    "requested": ("approve", "sign-off", "refuse"),
    "approved": ("sign-off", "refuse", "revoke"),
    "active": ("suspend", "revoke"),
    "suspended": ("resume", "revoke"),
}
REASONED = frozenset({"refuse", "suspend", "revoke", "refuse-version"})


@router.get("/connections")
def list_connections(request: Request) -> Response:
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        found = connections.connections_for_board(work, who.board_id, utcnow())
    return render(request, "connections.html", user=who, csrf=csrf, connections=found)


@router.get("/connections/{connection_id}")
def connection_page(request: Request, connection_id: uuid.UUID, done: str = "") -> Response:
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        connection = connections.get(work, who.board_id, connection_id)
        view = connections.view(work, connection, now)
        version = providers.dataset_version_view(work, connection.dataset_version_id)
        scope = scope_preview.current(work, who.board_id, connection_id)
        context: dict[str, Any] = {
            "view": view,
            "version": version,
            "diff": flows.pending_diff(work, who.board_id, connection_id),
            "provider": providers.get_provider(work, view.provider_id),
            "purpose": catalogue.purpose(work, version.purpose_code),
            "known": catalogue.attributes(work),
            "history": connections.history(work, who.board_id, connection_id),
            "choices": scope_preview.choices(work, who.board_id, connection_id),
            "scope": scope,
            "count": scope_preview.count(
                work,
                who.board_id,
                connection_id,
                kind=scope.kind,
                group_ids=scope.group_ids,
                year_groups=scope.year_groups,
                licensed_only=scope.licensed_only,
            ),
            "offered": OFFERED.get(view.state, ()),
            "reasoned": REASONED,
            "done": done if done in ACTIONS or done in {"scope", "consent"} else "",
        }
    return render(request, "connection.html", user=who, csrf=csrf, **context)


@router.post("/connections/{connection_id}/decide/{action}")
def decide(request: Request, connection_id: uuid.UUID, action: str, form: FormDep) -> Response:
    if action not in ACTIONS:
        raise NotFound(f"no decision called {action!r}")
    check_csrf(request, form.get("csrf") or None)
    permission, call = ACTIONS[action]
    now = utcnow()
    with unit(request, write=True) as work:
        who, _ = logged_in(request, work)
        accounts.require(who, permission)
        reason = form.get("reason").strip()
        call(work, who.board_id, connection_id, who.actor, now, reason)
        accounts.record_action(
            work,
            who,
            f"connection_{action.replace('-', '_')}",
            now,
            subject=str(connection_id),
            detail={"reason": reason} if reason else {},
        )
    return RedirectResponse(f"/connections/{connection_id}?done={action}", status_code=303)
