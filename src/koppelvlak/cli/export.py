"""``koppelvlak export person``: a person's access export (GDPR art. 15) as one ZIP."""

from __future__ import annotations

from pathlib import Path

import typer

from koppelvlak.cli.console import err

app = typer.Typer(help="Exports of what Koppelvlak holds.", no_args_is_help=True)
OUTPUT = typer.Option(..., "--output", "-o", help="The ZIP file to write.")


@app.command("person")
def person(
    board: str = typer.Option(..., "--board", help="Board code."),
    key: str = typer.Option(..., "--person", help="Student or staff id or LAS key."),
    output: Path = OUTPUT,
) -> None:
    """Everything held about one person, and every disclosure of them, as JSON plus a summary."""
    from koppelvlak.connections import service
    from koppelvlak.connections.lookup import find_person
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.rights import export
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = service.board_id_by_code(session, board)
        person_id = find_person(session, board_id, key)
        archive = export.export_person(session, board_id, person_id, utcnow())
    output.write_bytes(archive)
    err.print(f"export written to {output} ({len(archive)} bytes)")
