"""``koppelvlak release``: what a connection releases, and why a person is in or out."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import out

app = typer.Typer(help="Explain and inspect releases.", no_args_is_help=True)


def _at(value: str | None) -> object:
    from datetime import datetime

    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.kit.clock import as_utc, utcnow

    if value is None:
        return utcnow()
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise KoppelvlakError(f"{value!r} is not a moment such as 2026-01-05T09:00") from None


@app.command("explain")
def explain(
    connection_id: str = typer.Argument(..., help="Connection id."),
    person_id: str = typer.Argument(..., help="Student or staff id."),
    board: str = typer.Option(..., "--board", help="Board code."),
    at: str | None = typer.Option(None, help="Moment (ISO 8601); default now."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Whether the person is released, the rule that decided, and each attribute's decision."""
    import json
    from datetime import datetime

    from koppelvlak.cli.connection import parse_id
    from koppelvlak.connections import service as connections
    from koppelvlak.release import service
    from koppelvlak.runtime import Runtime

    moment = _at(at)
    assert isinstance(moment, datetime)
    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        cid = parse_id(connection_id, "connection")
        connections.get(session, board_id, cid)
        result = service.explain(session, cid, parse_id(person_id, "person"), moment)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "connection": str(result.connection_id),
                    "person": str(result.person_id),
                    "kind": result.kind.value,
                    "at": result.at.isoformat(),
                    "connection_state": result.connection_state,
                    "released": result.released,
                    "reason": result.reason.value,
                    "detail": result.detail,
                    "attributes": {a.attribute_id: a.reason.value for a in result.attributes},
                }
            )
        )
        return
    verdict = "RELEASED" if result.released else f"NOT RELEASED ({result.reason})"
    typer.echo(f"{result.kind} {result.person_id}: {verdict} — {result.detail}")
    for a in result.attributes:
        typer.echo(f"  {a.attribute_id:<22} {a.reason}")


@app.command("show")
def show(
    connection_id: str = typer.Argument(..., help="Connection id."),
    board: str = typer.Option(..., "--board", help="Board code."),
) -> None:
    """How many people and groups the connection releases now, and which attributes."""
    from koppelvlak.cli.connection import parse_id
    from koppelvlak.connections import service as connections
    from koppelvlak.release import service
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        cid = parse_id(connection_id, "connection")
        connections.get(session, board_id, cid)
        from koppelvlak.kit.clock import utcnow

        result = service.resolve(session, cid, utcnow(), runtime.secrets.pseudonym_key)
    typer.echo(
        f"students {len(result.students)}  staff {len(result.staff)}  groups {len(result.groups)}"
    )
    typer.echo(f"attributes {', '.join(sorted(result.attribute_ids))}")
