"""``koppelvlak notices`` and ``koppelvlak delivery``: deletion notices, pushes, dead letters."""

from __future__ import annotations

import json

import typer

from koppelvlak.cli.console import out

notices_app = typer.Typer(
    help="Deletion notices: who must still delete whom.", no_args_is_help=True
)
app = typer.Typer(help="Push deliveries: endpoints, dead letters, retries.", no_args_is_help=True)

_BOARD = typer.Option(..., "--board", help="Board code.")
_JSON = typer.Option(False, "--json", help="JSON instead of a table.")


@notices_app.command("list")
def list_notices(
    board: str = _BOARD,
    overdue: bool = typer.Option(False, "--overdue", help="Only open notices past their due time."),
    acknowledged: bool = typer.Option(False, "--acknowledged", help="Only acknowledged ones."),
    as_json: bool = _JSON,
) -> None:
    """The board's open deletion notices (no person's name: the pseudonym the provider knows)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import notices
    from koppelvlak.delivery.push import admin_document
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    state = "overdue" if overdue else "acknowledged" if acknowledged else "open"
    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        found = notices.for_board(session, board_id=board_id, state=state, at=utcnow())
        rows = [admin_document(n) for n in found]
    if as_json:
        out.print_json(json.dumps({"state": state, "notices": rows}))
        return
    for row in rows:
        due = (row["dueAt"] or "")[:10]
        escalated = "  escalated" if row["escalatedAt"] else ""
        typer.echo(
            f"{row['id']}  {row['reason']:<18} provider {row['providerId']}  due {due}{escalated}"
        )
    typer.echo(f"{len(rows)} {state} notice(s)")


@notices_app.command("escalate")
def escalate(
    board: str | None = typer.Option(None, "--board", help="Board code; all if unset."),
) -> None:
    """Escalate every overdue notice once (mail to the board's contact, or a log line)."""
    from koppelvlak.connections import service as connections
    from koppelvlak.delivery import notices
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = None if board is None else connections.board_id_by_code(session, board)
        done = notices.escalate(session, at=utcnow(), board_id=board_id)
    typer.echo(f"{len(done)} notice(s) escalated")
