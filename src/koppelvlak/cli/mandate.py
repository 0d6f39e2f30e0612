"""``koppelvlak mandate``: a school's mandates for the services of the register.

``grant`` and ``revoke`` record the actor (``--actor``, default ``admin:<user>``); ``services``
lists the register and ``--add`` extends it (an operator's step: the register is shared by
every board). ``final-test`` marks a connection as the school's final-test connection and
``final-test-status`` shows both steps of the flow.
"""

from __future__ import annotations

from datetime import date

import typer

from koppelvlak.cli.arguments import actor_of, connection_of, parse_id
from koppelvlak.cli.console import err

app = typer.Typer(help="Mandates: who may exchange a school's data for which service.")

BOARD = typer.Option(..., "--board", help="Board code.")
ACTOR = typer.Option(None, "--actor", help="Who decides; default admin:<user>.")
SCHOOL = typer.Option(..., "--school", help="BRIN (99XX) or BRIN and location (99XX01).")


def _day(value: str, what: str) -> date:
    from koppelvlak.errors import KoppelvlakError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise KoppelvlakError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("services")
def services(
    add: str | None = typer.Option(None, "--add", help="Add a service with this name."),
    description: str | None = typer.Option(None, "--description", help="With --add."),
    actor: str | None = typer.Option(None, "--actor", help="Who adds; default operator:<user>."),
) -> None:
    """The services of the register (seeded: Logistiek Proces Eindtoets PO, BRON PO, Verzuim)."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=add is not None) as session:
        if add is not None:
            added = service.add_service(
                session,
                add,
                description=description,
                actor=actor_of(actor, "operator"),
                at=utcnow(),
            )
            err.print(f"added service {added.name!r}")
        for found in service.services(session):
            typer.echo(f"{found.name}" + (f"  ({found.description})" if found.description else ""))


@app.command("grant")
def grant(
    *,
    board: str = BOARD,
    school: str = SCHOOL,
    service_name: str = typer.Option(..., "--service", help="Service name of the register."),
    party: str = typer.Option(..., "--party", help="OIN (20 digits) or KvK number (8 digits)."),
    valid_from: str = typer.Option(..., "--from", help="First valid day, YYYY-MM-DD."),
    valid_until: str | None = typer.Option(None, "--until", help="Last valid day; default open."),
    actor: str | None = ACTOR,
) -> None:
    """Mandate a party for a service at a school; prints the mandate's id."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import flows
    from koppelvlak.runtime import Runtime

    start = _day(valid_from, "--from")
    end = None if valid_until is None else _day(valid_until, "--until")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        view = flows.grant(
            session,
            board_id_by_code(session, board),
            school=school,
            service_name=service_name,
            party=party,
            valid_from=start,
            valid_until=end,
            actor=actor_of(actor),
            at=utcnow(),
        )
    typer.echo(str(view.mandate_id))


@app.command("revoke")
def revoke(
    mandate_id: str = typer.Argument(..., help="Mandate id ('koppelvlak mandate list')."),
    board: str = BOARD,
    reason: str = typer.Option(..., "--reason", help="Why the mandate ends."),
    actor: str | None = ACTOR,
) -> None:
    """Revoke a mandate from now on; the record stays."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work(write=True) as session:
        view = service.revoke(
            session,
            board_id_by_code(session, board),
            parse_id(mandate_id, "mandate"),
            reason=reason,
            actor=actor_of(actor),
            at=utcnow(),
        )
    err.print(f"revoked mandate {view.mandate_id}")


@app.command("list")
def list_mandates(
    board: str = BOARD,
    school: str | None = typer.Option(None, "--school", help="Only this school."),
    refusals: bool = typer.Option(False, "--refusals", help="List refused exchanges instead."),
) -> None:
    """The board's mandates with their status today (or the refusals)."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = board_id_by_code(session, board)
        if refusals:
            for r in service.refusals(session, board_id, school):
                typer.echo(f"{r.at.isoformat()}  {r.school}  {r.service}  {r.party}  {r.reason}")
            return
        for m in service.mandates(session, board_id, utcnow(), school=school):
            until = m.valid_until.isoformat() if m.valid_until else "open"
            typer.echo(
                f"{m.mandate_id}  {m.status:<13}  {m.school}  {m.service}  {m.party_kind} "
                f"{m.party}  {m.valid_from.isoformat()}..{until}  by {m.decided_by}"
            )


@app.command("final-test")
def final_test_rule(
    connection: str = typer.Argument(..., help="Connection id or app name."),
    board: str = BOARD,
    reference_date: str = typer.Option(..., "--reference-date", help="Enrolled on this day."),
    party: str | None = typer.Option(None, "--party", help="OIN or KvK; default provider KvK."),
    actor: str | None = ACTOR,
) -> None:
    """Make a connection the school's final-test connection: only group-8 participants."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import final_test
    from koppelvlak.runtime import Runtime

    day = _day(reference_date, "--reference-date")
    with Runtime.from_settings().unit_of_work(write=True) as session:
        board_id = board_id_by_code(session, board)
        rule = final_test.set_rule(
            session,
            board_id,
            connection_of(session, board_id, connection),
            reference_date=day,
            party=party,
            actor=actor_of(actor),
            at=utcnow(),
        )
        err.print(
            f"connection {rule.connection_id}: year group {rule.year_group} enrolled on "
            f"{rule.reference_date.isoformat()}, party {rule.party}"
        )


@app.command("final-test-status")
def final_test_status(board: str = BOARD, school: str = SCHOOL) -> None:
    """Both steps of the final-test flow: participants delivered, results received."""
    from koppelvlak.connections.service import board_id_by_code
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.mandates import final_test
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        found = final_test.status(session, board_id_by_code(session, board), school, utcnow())
    for s in found:
        mandate = "mandate valid" if s.mandate_valid else "NO valid mandate"
        typer.echo(
            f"{s.connection_id}  {s.provider}  {s.connection_state}  {mandate}  "
            f"participants delivered: {s.participants_delivered}  "
            f"results received: {s.results_received}"
        )
    if not found:
        err.print("no final-test connection at this school ('koppelvlak mandate final-test')")
