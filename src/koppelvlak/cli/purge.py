"""``koppelvlak purge``: the retention purge, as a dry run or in three approved steps.

``koppelvlak purge --board CODE --dry-run`` lists exactly what would go now. The real purge
is ``purge plan`` (prints a plan id), ``purge approve PLAN`` by a DPO, ``purge run PLAN``;
each step is done with an admin API token (``--token`` or ``KOPPELVLAK_ADMIN_TOKEN``) whose
role decides what it may do (ADR 0118).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import typer

from koppelvlak.cli.arguments import parse_id
from koppelvlak.cli.console import err, out
from koppelvlak.errors import KoppelvlakError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from koppelvlak.connections.admin_tokens import AdminPrincipal
    from koppelvlak.rights.retention import Findings

app = typer.Typer(
    help="Retention purge: --dry-run lists what would go; plan, approve (DPO), run.",
    invoke_without_command=True,
)
TOKEN = typer.Option(
    ..., "--token", envvar="KOPPELVLAK_ADMIN_TOKEN", help="Admin API token (its role counts)."
)
AS_OF = typer.Option(None, "--as-of", help="Judge retention on this day (YYYY-MM-DD); default now.")


def _as_of(value: str | None) -> datetime:
    from koppelvlak.kit.clock import utcnow

    if value is None:
        return utcnow()
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise KoppelvlakError(f"--as-of {value!r} is not a date such as 2026-09-01") from None


@app.callback()
def purge(
    ctx: typer.Context,
    board: str | None = typer.Option(None, "--board", help="Board code (for --dry-run)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; change nothing."),
    as_of: str | None = AS_OF,
    as_json: bool = typer.Option(False, "--json", help="The dry run as JSON."),
) -> None:
    """Retention purge of one board."""
    if ctx.invoked_subcommand is not None:
        return
    if not dry_run or board is None:
        raise KoppelvlakError(
            "use 'koppelvlak purge --board CODE --dry-run' to see what would go; the real purge "
            "is 'purge plan', 'purge approve PLAN' (a DPO) and 'purge run PLAN'"
        )
    from koppelvlak.connections import service as connections
    from koppelvlak.rights import retention
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        findings = retention.find(
            session, connections.board_id_by_code(session, board), _as_of(as_of)
        )
    _show(findings, as_json)


def _show(findings: Findings, as_json: bool) -> None:
    from koppelvlak.rights.retention import document

    if as_json:
        typer.echo(json.dumps(document(findings), indent=2))
        return
    for person in findings.people:
        purposes = ",".join(person.purposes) or "-"
        out.print(
            f"person {person.kind} {person.person_id}: ended {person.ended_on}, kept until "
            f"{person.kept_until} ({purposes})",
            markup=False,
        )
    for result in findings.results:
        out.print(
            f"result {result.result_id}: taken {result.taken_on}, kept until {result.kept_until} "
            f"({result.purpose_code or '-'})",
            markup=False,
        )
    if findings.ledger_before is not None:
        out.print(
            f"ledger: {findings.ledger_entries} entries recorded before "
            f"{findings.ledger_before:%Y-%m-%d} lose their payload",
            markup=False,
        )
    for held in findings.held:
        out.print(f"kept by legal hold {held.hold_id}: person {held.person_id}", markup=False)
    err.print("nothing is past retention" if findings.empty else "dry run: nothing was changed")


@app.command("plan")
def plan(
    board: str = typer.Option(..., "--board", help="Board code."),
    token: str = TOKEN,
    as_of: str | None = AS_OF,
) -> None:
    """Make a purge plan of what is past retention now; prints its id. A DPO approves it."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import purge_plans
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        who = _principal(session, token)
        if connections.board_id_by_code(session, board) != who.board_id:
            raise KoppelvlakError(f"the token is not for board {board!r}")
        made, _findings = purge_plans.make_plan(
            session,
            board_id=who.board_id,
            as_of=_as_of(as_of),
            actor=who.actor,
            role=who.role,
            at=utcnow(),
        )
    typer.echo(str(made.id))
    err.print(f"purge plan {made.id}: {_counts(made.counts)}; waiting for a DPO's approval")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "nothing past retention"


def _principal(session: Session, token: str) -> AdminPrincipal:
    from koppelvlak.connections.admin_tokens import authenticate
    from koppelvlak.kit.clock import utcnow

    found = authenticate(session, token.strip(), utcnow())
    if found is None:
        raise KoppelvlakError("the admin token is unknown, expired or revoked")
    return found


def _step(plan_id: str, token: str, step: str) -> None:
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import purge_plans
    from koppelvlak.runtime import Runtime

    pid = parse_id(plan_id, "purge plan")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        who = _principal(session, token)
        board_id, actor, role, now = who.board_id, who.actor, who.role, utcnow()
        if step == "approve":
            done = purge_plans.approve(
                session, board_id=board_id, plan_id=pid, actor=actor, role=role, at=now
            )
        else:
            done, _findings = purge_plans.run(
                session, board_id=board_id, plan_id=pid, actor=actor, role=role, at=now
            )
    err.print(f"purge plan {done.id} is {done.state} ({_counts(done.counts)})")


@app.command("approve")
def approve(plan_id: str = typer.Argument(..., help="The plan's id."), token: str = TOKEN) -> None:
    """Approve a purge plan (DPO only, once)."""
    _step(plan_id, token, "approve")


@app.command("run")
def run(plan_id: str = typer.Argument(..., help="The plan's id."), token: str = TOKEN) -> None:
    """Carry out an approved plan; refused when the data changed since it was made."""
    _step(plan_id, token, "run")
