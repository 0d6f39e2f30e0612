"""``koppelvlak release``: what a connection releases, and why a person is in or out."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err, out

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
    connection_id: str = typer.Argument(..., help="Connection id or app name."),
    person_id: str = typer.Argument(..., help="Student or staff id or LAS key."),
    board: str = typer.Option(..., "--board", help="Board code."),
    at: str | None = typer.Option(None, help="Moment (ISO 8601); default now."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Whether the person is released, the rule that decided, and each attribute's decision."""
    import json
    from datetime import datetime

    from koppelvlak.api.admin import views
    from koppelvlak.cli.arguments import connection_of
    from koppelvlak.connections import service as connections
    from koppelvlak.connections.lookup import find_person
    from koppelvlak.release import service
    from koppelvlak.runtime import Runtime

    moment = _at(at)
    assert isinstance(moment, datetime)
    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        cid = connection_of(session, board_id, connection_id)
        connections.get(session, board_id, cid)
        person = find_person(session, board_id, person_id)
        result = service.explain(session, cid, person, moment)
    if as_json:
        out.print_json(json.dumps(views.explanation(result)))
        return
    verdict = "RELEASED" if result.released else f"NOT RELEASED ({result.reason})"
    typer.echo(f"{result.kind} {result.person_id}: {verdict} — {result.detail}")
    for a in result.attributes:
        typer.echo(f"  {a.attribute_id:<22} {a.reason}")


@app.command("show")
def show(
    connection_id: str = typer.Argument(..., help="Connection id or app name."),
    board: str = typer.Option(..., "--board", help="Board code."),
) -> None:
    """How many people and groups the connection releases now, and which attributes."""
    from koppelvlak.cli.arguments import connection_of
    from koppelvlak.connections import service as connections
    from koppelvlak.release import service
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        cid = connection_of(session, board_id, connection_id)
        connections.get(session, board_id, cid)
        from koppelvlak.kit.clock import utcnow

        result = service.resolve(session, cid, utcnow(), runtime.secrets.pseudonym_key)
    typer.echo(
        f"students {len(result.students)}  staff {len(result.staff)}  groups {len(result.groups)}"
    )
    typer.echo(f"attributes {', '.join(sorted(result.attribute_ids))}")


def _board_id(session: object, board: str | None) -> object:
    from sqlalchemy.orm import Session

    from koppelvlak.connections import service as connections

    assert isinstance(session, Session)
    return None if board is None else connections.board_id_by_code(session, board)


@app.command("check")
def check(
    board: str | None = typer.Option(None, "--board", help="Board code; default every board."),
) -> None:
    """Compare every kept release with a fresh resolve and name each difference (drift)."""
    import uuid

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.release import kept
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work() as session:
        board_id = _board_id(session, board)
        assert board_id is None or isinstance(board_id, uuid.UUID)
        drift = kept.check(session, utcnow(), runtime.secrets.pseudonym_key, board_id)
    for d in drift:
        typer.echo(f"{d.connection_id} {d.collection} {d.key}: {d.problem}")
    if drift:
        err.print(f"[red]{len(drift)} differences between the kept and the resolved releases[/]")
        raise typer.Exit(1)
    typer.echo("no drift: every kept release equals a fresh resolve")


def _refresh(board: str | None, verb: str, *, rewrite: bool = False) -> None:
    import uuid

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.release import kept
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    with runtime.unit_of_work(write=True) as session:
        board_id = _board_id(session, board)
        assert board_id is None or isinstance(board_id, uuid.UUID)
        done = kept.refresh_all(
            session, utcnow(), runtime.secrets.pseudonym_key, board_id, rewrite=rewrite
        )
    touched = [r for r in done if r.touched]
    typer.echo(
        f"{verb} {len(done)} connections; {len(touched)} changed "
        f"(+{sum(r.added for r in done)} ~{sum(r.changed for r in done)} "
        f"-{sum(r.removed for r in done)} purged {sum(r.purged for r in done)})"
    )


@app.command("refresh")
def refresh(
    board: str | None = typer.Option(None, "--board", help="Board code; default every board."),
) -> None:
    """Bring every kept release up to today: ages, start and end dates, expired tombstones."""
    _refresh(board, "refreshed")


@app.command("rebuild")
def rebuild(
    board: str | None = typer.Option(None, "--board", help="Board code; default every board."),
) -> None:
    """Repair any drift: rewrite each kept release from a fresh resolve, keeping its history."""
    _refresh(board, "rebuilt", rewrite=True)
