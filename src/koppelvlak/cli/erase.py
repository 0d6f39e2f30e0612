"""``koppelvlak erase`` (one person, GDPR art. 17) and ``koppelvlak hold …`` (legal holds).

Both name the board (``--board CODE``) and record the actor (``--actor``, default
``dpo:<user>``); a person of another board is not found. A held person is not erased.
"""

from __future__ import annotations

import typer

from koppelvlak.cli.arguments import actor_of, parse_id
from koppelvlak.cli.console import err, out

BOARD = typer.Option(..., "--board", help="Board code.")
ACTOR = typer.Option(None, "--actor", help="Who acts; default dpo:<user>.")

hold_app = typer.Typer(
    help="Legal holds: keep a person's or a purpose's data.", no_args_is_help=True
)


def erase(
    person: str = typer.Argument(..., help="The person's id (student, staff member or guardian)."),
    board: str = BOARD,
    request: str | None = typer.Option(None, "--request", help="The erasure request's reference."),
    actor: str | None = ACTOR,
) -> None:
    """Erase one person everywhere, after a deletion notice to each provider that had their data."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights.erasure import erase_person_data
    from koppelvlak.runtime import Runtime

    person_id = parse_id(person, "person")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        report = erase_person_data(
            session,
            board_id=connections.board_id_by_code(session, board),
            person_id=person_id,
            at=utcnow(),
            request_ref=request,
            actor=actor_of(actor, "dpo"),
        )
    removed = ", ".join(f"{table} {n}" for table, n in sorted(report.removed.items()))
    out.print(f"erasure {report.record_id}: {report.person_kind} erased ({removed or 'nothing'})")
    for notice in report.notices:
        state = "acknowledged" if notice.acknowledged else "awaiting acknowledgement"
        out.print(f"deletion notice to provider {notice.provider_id}: {state}")


@hold_app.command("place")
def place(
    board: str = BOARD,
    person: str | None = typer.Option(None, "--person", help="Hold this person's data (id)."),
    purpose: str | None = typer.Option(None, "--purpose", help="Hold this purpose's data (code)."),
    reason: str = typer.Option(..., "--reason", help="Why the data must stay."),
    actor: str | None = ACTOR,
) -> None:
    """Place a legal hold on a person or a purpose; prints its id."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import holds
    from koppelvlak.runtime import Runtime

    person_id = None if person is None else parse_id(person, "person")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        hold = holds.place_hold(
            session,
            board_id=connections.board_id_by_code(session, board),
            person_id=person_id,
            purpose_code=purpose,
            reason=reason,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
    typer.echo(str(hold.id))
    err.print(f"legal hold on {hold.target}")


@hold_app.command("lift")
def lift(
    hold: str = typer.Argument(..., help="The hold's id."),
    board: str = BOARD,
    reason: str = typer.Option(..., "--reason", help="Why the hold ends."),
    actor: str | None = ACTOR,
) -> None:
    """Lift a legal hold; its row stays with who lifted it, when and why."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import holds
    from koppelvlak.runtime import Runtime

    hold_id = parse_id(hold, "legal hold")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        lifted = holds.lift_hold(
            session,
            board_id=connections.board_id_by_code(session, board),
            hold_id=hold_id,
            reason=reason,
            actor=actor_of(actor, "dpo"),
            at=utcnow(),
        )
    err.print(f"legal hold {lifted.id} on {lifted.target} lifted")


@hold_app.command("list")
def list_holds(
    board: str = BOARD,
    all_holds: bool = typer.Option(False, "--all", help="Lifted holds too."),
) -> None:
    """The board's legal holds (standing ones unless --all): id, target, since, reason."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import holds
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        found = holds.holds(session, board_id=board_id, at=None if all_holds else utcnow())
    for hold in found:
        lifted = f" lifted {hold.lifted_at:%Y-%m-%d} by {hold.lifted_by}" if hold.lifted_at else ""
        out.print(
            f"{hold.id}  {hold.target}  since {hold.placed_at:%Y-%m-%d} by {hold.placed_by}"
            f"{lifted}: {hold.reason}",
            markup=False,
            highlight=False,
        )
