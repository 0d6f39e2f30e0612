"""Scope choice with its live count (htmx), and the explanation for one person.

The count answers a GET with the form's fields as query parameters, so htmx can ask it on
every change without a CSRF token (it changes nothing); saving posts the same fields to
``connections.scope.set_scope``, the admin API's function.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from koppelvlak.accounts import scope_preview
from koppelvlak.accounts import service as accounts
from koppelvlak.audit import service as audit
from koppelvlak.connections import lookup, scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.models import ScopeKind
from koppelvlak.errors import KoppelvlakError, NotFound
from koppelvlak.kit.clock import utcnow
from koppelvlak.release import service as release
from koppelvlak.web.forms import Form, read_form
from koppelvlak.web.pages import HtmlRoute, check_csrf, logged_in, render, unit

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FormDep = Annotated[Form, Depends(read_form)]
MAX_CHOICES = 200


class InvalidScope(KoppelvlakError):
    status = 422
    title = "Invalid scope"


def _parse(
    kind: str, groups: list[str], years: list[str]
) -> tuple[ScopeKind, frozenset[uuid.UUID], frozenset[str]]:
    try:
        chosen = ScopeKind(kind)
    except ValueError:
        raise InvalidScope(f"{kind[:40]!r} is not a scope") from None
    if len(groups) > MAX_CHOICES or len(years) > MAX_CHOICES:
        raise InvalidScope(f"choose at most {MAX_CHOICES} groups or year groups")
    try:
        group_ids = frozenset(uuid.UUID(g) for g in groups if g)
    except ValueError:
        raise InvalidScope("a chosen group is not a group of this school") from None
    return chosen, group_ids, frozenset(y.strip() for y in years if y.strip())


@router.get("/connections/{connection_id}/scope-count")
def scope_count(
    request: Request,
    connection_id: uuid.UUID,
    *,
    kind: str = "whole_school",
    group: Annotated[list[str] | None, Query()] = None,
    year: Annotated[list[str] | None, Query()] = None,
    licensed_only: str = "",
) -> Response:
    chosen, group_ids, years = _parse(kind, group or [], year or [])
    with unit(request) as work:
        who, _ = logged_in(request, work)
        count = scope_preview.count(
            work,
            who.board_id,
            connection_id,
            kind=chosen,
            group_ids=group_ids,
            year_groups=years,
            licensed_only=bool(licensed_only),
        )
    return render(request, "scope_count.html", count=count)


@router.post("/connections/{connection_id}/scope")
def save_scope(request: Request, connection_id: uuid.UUID, form: FormDep) -> Response:
    check_csrf(request, form.get("csrf") or None)
    chosen, group_ids, years = _parse(form.get("kind"), form.all("group"), form.all("year"))
    now = utcnow()
    with unit(request, write=True) as work:
        who, _ = logged_in(request, work)
        accounts.require(who, "decide")
        scope.set_scope(
            work,
            who.board_id,
            connection_id,
            kind=chosen,
            group_ids=group_ids,
            year_groups=years,
            licensed_only=bool(form.get("licensed_only")),
            actor=who.actor,
            at=now,
        )
        accounts.record_action(
            work, who, "connection_scope", now, subject=str(connection_id), detail={"kind": chosen}
        )
    return RedirectResponse(f"/connections/{connection_id}?done=scope", status_code=303)


@router.get("/connections/{connection_id}/explain")
def explain(request: Request, connection_id: uuid.UUID, person: str = "") -> Response:
    """Why one person is in or out of this connection's release, attribute by attribute."""
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        view = connections.view(work, connections.get(work, who.board_id, connection_id), now)
        person_id = lookup.find_person(work, who.board_id, person[:200])
        explanation = release.explain(work, connection_id, person_id, now)
    return render(request, "explain.html", user=who, csrf=csrf, view=view, explanation=explanation)


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: uuid.UUID) -> Response:
    """Every provider that received this person's data, and why they are in or out of each."""
    now = utcnow()
    with unit(request) as work:
        who, csrf = logged_in(request, work)
        views = connections.connections_for_board(work, who.board_id, now)
        school = accounts.person_school(work, who.board_id, person_id)
        explanations = []
        for view in (v for v in views if school is not None and v.school_id == school):
            try:
                found = release.explain(work, view.connection_id, person_id, now)
            except KoppelvlakError:
                continue  # not a person of that connection's school
            explanations.append((view, found))
        if not explanations:
            raise NotFound(f"no current student or staff member with id {person_id}")
        disclosures = audit.disclosures_for_person(work, who.board_id, person_id)
        names = {v.connection_id: v.app_name for v in views}
    return render(
        request,
        "person.html",
        user=who,
        csrf=csrf,
        person_id=person_id,
        explanations=explanations,
        disclosures=disclosures,
        names=names,
    )
