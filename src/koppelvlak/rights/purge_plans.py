"""The retention purge in three steps, as Moodle has it: plan, a DPO's approval, run.

``make_plan`` stores what a dry run finds now, as counts and a fingerprint (never the people);
``approve`` is the DPO's alone, once; ``run`` finds again at the plan's moment and refuses when
the fingerprint moved (someone was added, changed, held or released since), so exactly what the
DPO approved goes, each person through the same removal as an erasure, each with a record
that names nobody (ADR 0118).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.connections.models import AdminRole
from koppelvlak.errors import Conflict, Forbidden, NotFound
from koppelvlak.kit.clock import as_utc
from koppelvlak.results.models import ResultScore
from koppelvlak.rights import applicable, erasure, removal, retention
from koppelvlak.rights.holds_models import ErasureKind, PlanState, PurgePlan

PLANNERS = frozenset({AdminRole.ADMIN, AdminRole.DPO})
APPROVERS = frozenset({AdminRole.DPO})


class UnknownPlan(NotFound):
    title = "Purge plan not found"


class PlanNotPermitted(Forbidden):
    title = "Not permitted"


class WrongPlanState(Conflict):
    title = "Purge plan in the wrong state"


class PlanStale(Conflict):
    title = "Purge plan out of date"


@dataclass(frozen=True)
class PlanView:
    id: uuid.UUID
    board_id: uuid.UUID
    state: PlanState
    as_of: datetime
    fingerprint: str
    counts: dict[str, int]
    planned_by: str
    approved_by: str | None
    ran_by: str | None


def _view(row: PurgePlan) -> PlanView:
    return PlanView(
        id=row.id,
        board_id=row.board_id,
        state=row.state,
        as_of=as_utc(row.as_of),
        fingerprint=row.fingerprint,
        counts=dict(row.counts),
        planned_by=row.planned_by,
        approved_by=row.approved_by,
        ran_by=row.ran_by,
    )


def _allowed(role: AdminRole, roles: frozenset[AdminRole], what: str) -> None:
    if role not in roles:
        raise PlanNotPermitted(f"the {role} role may not {what} a purge plan")


def _plan(session: Session, board_id: uuid.UUID, plan_id: uuid.UUID) -> PurgePlan:
    row = session.scalar(
        select(PurgePlan).where(PurgePlan.id == plan_id, PurgePlan.board_id == board_id)
    )
    if row is None:
        raise UnknownPlan(f"no purge plan with id {plan_id} here")
    return row


def make_plan(
    session: Session,
    *,
    board_id: uuid.UUID,
    as_of: datetime,
    actor: str,
    role: AdminRole,
    at: datetime,
) -> tuple[PlanView, retention.Findings]:
    """Store what a purge at ``as_of`` would remove; it waits for a DPO's approval."""
    _allowed(role, PLANNERS, "make")
    findings = retention.find(session, board_id, as_of)
    row = PurgePlan(
        board_id=board_id,
        state=PlanState.PLANNED,
        as_of=as_utc(as_of),
        fingerprint=findings.fingerprint,
        counts=findings.counts,
        planned_by=actor,
        planned_at=as_utc(at),
    )
    session.add(row)
    session.flush()
    return _view(row), findings


def approve(
    session: Session,
    *,
    board_id: uuid.UUID,
    plan_id: uuid.UUID,
    actor: str,
    role: AdminRole,
    at: datetime,
) -> PlanView:
    """The DPO's approval, once; an admin or viewer may not approve."""
    _allowed(role, APPROVERS, "approve")
    row = _plan(session, board_id, plan_id)
    if row.state is not PlanState.PLANNED:
        raise WrongPlanState(f"purge plan {plan_id} is already {row.state}")
    row.state, row.approved_by, row.approved_at = PlanState.APPROVED, actor, as_utc(at)
    session.flush()
    return _view(row)


def plans(session: Session, *, board_id: uuid.UUID) -> tuple[PlanView, ...]:
    rows = session.scalars(
        select(PurgePlan)
        .where(PurgePlan.board_id == board_id)
        .order_by(PurgePlan.planned_at.desc(), PurgePlan.id)
    ).all()
    return tuple(_view(r) for r in rows)


def plan(session: Session, *, board_id: uuid.UUID, plan_id: uuid.UUID) -> PlanView:
    return _view(_plan(session, board_id, plan_id))


def run(
    session: Session,
    *,
    board_id: uuid.UUID,
    plan_id: uuid.UUID,
    actor: str,
    role: AdminRole,
    at: datetime,
) -> tuple[PlanView, retention.Findings]:
    """Carry out an approved plan; refuses when what it would remove changed since the plan."""
    _allowed(role, PLANNERS, "run")
    row = _plan(session, board_id, plan_id)
    if row.state is not PlanState.APPROVED:
        raise WrongPlanState(
            f"purge plan {plan_id} is {row.state}; only an approved plan runs"
            if row.state is not PlanState.DONE
            else f"purge plan {plan_id} has already run"
        )
    findings = retention.find(session, board_id, as_utc(row.as_of))
    if findings.fingerprint != row.fingerprint:
        raise PlanStale(
            f"the data changed since purge plan {plan_id} was made; make and approve a new plan"
        )
    _carry_out(session, findings, plan_id=plan_id, actor=actor, at=as_utc(at))
    row.state, row.ran_by, row.ran_at = PlanState.DONE, actor, as_utc(at)
    session.flush()
    return _view(row), findings


def _carry_out(
    session: Session, findings: retention.Findings, *, plan_id: uuid.UUID, actor: str, at: datetime
) -> None:
    board_id = findings.board_id
    subjects = [applicable.find_subject(session, board_id, p.person_id) for p in findings.people]
    for subject in subjects:  # guardians first found, before their children's rows go
        if subject is None:
            continue
        counts = removal.remove_person(session, subject, at)
        erasure.record_erasure(
            session,
            board_id=board_id,
            kind=ErasureKind.RETENTION,
            person_kind=subject.kind.value,
            at=at,
            actor=actor,
            counts=counts,
            purge_plan_id=plan_id,
        )
    for result in findings.results:
        score = session.get(ResultScore, result.result_id)
        if score is not None:
            session.delete(score)
    if findings.ledger_before is not None and findings.ledger_entries:
        audit.erase_payloads(session, board_id, findings.ledger_before)
    session.flush()
