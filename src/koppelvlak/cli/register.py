"""``koppelvlak register``: the controller's registers, printed as CSV, JSON or HTML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

app = typer.Typer(
    help="The processing register (GDPR art. 30) and where personal data is stored.",
    no_args_is_help=True,
)


class RegisterFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"


_FORMAT = typer.Option(RegisterFormat.CSV, "--format", help="csv, json or html.")
_OUTPUT = typer.Option(None, "--output", "-o", help="File to write; default stdout.")


@app.command("processing")
def processing(
    board: str = typer.Option(..., "--board", help="Board code."),
    form: RegisterFormat = _FORMAT,
    output: Path | None = _OUTPUT,
) -> None:
    """Per purpose: people, data, recipients, retention, lawful basis and safeguards."""
    from koppelvlak.connections import service as connections
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.registers import formats, service
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        board_id = connections.board_id_by_code(session, board)
        register = service.processing_register(session, board_id, utcnow())
    _write(formats.processing(register, form.value), output)


@app.command("storage")
def storage(form: RegisterFormat = _FORMAT, output: Path | None = _OUTPUT) -> None:
    """Every table that stores personal data, with its columns per personal-data label."""
    from koppelvlak.registers import formats, service

    _write(formats.storage(service.storage_register(), form.value), output)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
