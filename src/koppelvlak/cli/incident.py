"""``koppelvlak incident``: incidents providers reported, and the DPO's assessment.

Every command names the board (``--board CODE``); another board's incident is not found.
"""

from __future__ import annotations

from datetime import datetime

import typer

from koppelvlak.cli.arguments import actor_of, parse_id
from koppelvlak.cli.console import err

app = typer.Typer(help="Incidents: outages and suspected breaches, with the 72-hour clock.")

BOARD = typer.Option(..., "--board", help="Board code.")


def _moment(value: str) -> datetime:
    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.kit.clock import as_utc

    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise KoppelvlakError(f"{value!r} is not a moment (e.g. 2026-12-02T10:00)") from None


@app.command("list")
def list_incidents(board: str = BOARD) -> None:
    """Every incident of the board, oldest first, with its art. 33 clock."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.incidents import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        found = service.incidents(session, board_id_by_code(session, board), utcnow())
    for v in found:
        typer.echo(
            f"{v.incident_id}  {v.reported_at.isoformat()}  {v.kind:<16}  {v.provider}  "
            f"{len(v.connection_ids)} connection(s)  art. 33: {v.clock.text}"
        )


@app.command("show")
def show(incident_id: str = typer.Argument(..., help="Incident id."), board: str = BOARD) -> None:
    """One incident: connections, people affected (from the ledger), assessment, clock."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.incidents import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        detail = service.show(
            session, board_id_by_code(session, board), parse_id(incident_id, "incident"), utcnow()
        )
    v, affected = detail.incident, detail.affected
    typer.echo(f"incident {v.incident_id}: {v.kind} reported by {v.provider} ({v.reported_by})")
    typer.echo(f"reported at {v.reported_at.isoformat()}")
    typer.echo(f"summary: {v.summary}")
    for connection_id in v.connection_ids:
        typer.echo(f"connection {connection_id}")
    typer.echo(
        f"people affected: {len(affected.person_ids)} in {affected.disclosures} disclosure(s)"
        + (f", {affected.erased} erased" if affected.erased else "")
    )
    typer.echo(f"assessment: {v.assessment or 'not yet assessed'}")
    typer.echo(f"art. 33 deadline {v.clock.deadline.isoformat()}: {v.clock.text}")


@app.command("assess")
def assess(
    incident_id: str = typer.Argument(..., help="Incident id."),
    *,
    board: str = BOARD,
    assessment: str = typer.Option(..., "--assessment", help="The DPO's assessment."),
    notifiable: bool = typer.Option(
        ..., "--notifiable/--not-notifiable", help="Must the authority be notified?"
    ),
    notified_at: str | None = typer.Option(
        None, "--notified-at", help="When the authority was notified (ISO moment)."
    ),
    reference: str | None = typer.Option(None, "--reference", help="The authority's reference."),
    actor: str | None = typer.Option(None, "--actor", help="Who assesses; default dpo:<user>."),
) -> None:
    """Record the DPO's assessment and whether and when the authority was notified."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.incidents import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    moment = None if notified_at is None else _moment(notified_at)
    with Runtime.from_settings().unit_of_work(write=True) as session:
        view = service.assess(
            session,
            board_id_by_code(session, board),
            parse_id(incident_id, "incident"),
            assessment=assessment,
            notifiable=notifiable,
            authority_notified_at=moment,
            authority_reference=reference,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
    err.print(f"assessed incident {view.incident_id}; art. 33: {view.clock.text}")


@app.command("recipient")
def recipient(
    email: str = typer.Argument(..., help="Where incident mail goes (the DPO's address)."),
    board: str = BOARD,
    actor: str | None = typer.Option(None, "--actor", help="Who sets it; default admin:<user>."),
) -> None:
    """Set the board's incident mail recipient."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.incidents import service
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        address = service.set_recipient(
            session, board_id_by_code(session, board), email, actor=actor_of(actor), at=utcnow()
        )
    err.print(f"incident mail goes to {address}")
