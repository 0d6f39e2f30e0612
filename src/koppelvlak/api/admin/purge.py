"""Admin API: the retention purge — a dry run, and plan → DPO approval → run.

The token's role decides: any role reads the dry run and the plans, an admin or the DPO makes
and runs a plan, only the DPO approves one (``rights.purge_plans``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from koppelvlak.api.admin.auth import PrincipalDep, SessionDep
from koppelvlak.connections.admin_tokens import require
from koppelvlak.kit.clock import utcnow
from koppelvlak.rights import purge_plans, retention

router = APIRouter(prefix="/admin/api/v1/purge", tags=["admin"])


class PlanBody(BaseModel):
    as_of: date | None = None


def _moment(day: date | None) -> datetime:
    if day is None:
        return utcnow()
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _plan(plan: purge_plans.PlanView) -> dict[str, Any]:
    return {
        "id": str(plan.id),
        "state": plan.state.value,
        "as_of": plan.as_of.isoformat(),
        "counts": plan.counts,
        "fingerprint": plan.fingerprint,
        "planned_by": plan.planned_by,
        "approved_by": plan.approved_by,
        "ran_by": plan.ran_by,
    }


@router.get("/dry-run", summary="Exactly what a purge would remove now; changes nothing")
def dry_run(work: SessionDep, who: PrincipalDep, as_of: date | None = None) -> dict[str, Any]:
    require(who, "read")
    return retention.document(retention.find(work, who.board_id, _moment(as_of)))


@router.get("/plans", summary="The board's purge plans, newest first")
def list_plans(work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return {"plans": [_plan(p) for p in purge_plans.plans(work, board_id=who.board_id)]}


@router.post("/plans", status_code=201, summary="Make a purge plan; a DPO approves it")
def make_plan(body: PlanBody, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    made, findings = purge_plans.make_plan(
        work,
        board_id=who.board_id,
        as_of=_moment(body.as_of),
        actor=who.actor,
        role=who.role,
        at=utcnow(),
    )
    return {**_plan(made), "findings": retention.document(findings)}


@router.get("/plans/{plan_id}", summary="One purge plan")
def get_plan(plan_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    require(who, "read")
    return _plan(purge_plans.plan(work, board_id=who.board_id, plan_id=plan_id))


@router.post("/plans/{plan_id}/approve", summary="Approve a purge plan (DPO only, once)")
def approve(plan_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    approved = purge_plans.approve(
        work, board_id=who.board_id, plan_id=plan_id, actor=who.actor, role=who.role, at=utcnow()
    )
    return _plan(approved)


@router.post("/plans/{plan_id}/run", summary="Run an approved plan; refused if the data moved")
def run(plan_id: uuid.UUID, work: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    done, findings = purge_plans.run(
        work, board_id=who.board_id, plan_id=plan_id, actor=who.actor, role=who.role, at=utcnow()
    )
    return {**_plan(done), "findings": retention.document(findings)}
