"""``koppelvlak import uwlr|oneroster``: bring the roster in step with a LAS export.

Parsing happens before the database is touched; the roster changes in one transaction; a
refused import leaves one row in the import history and nothing else. Output: progress on
stderr, a summary table on stdout, or with ``--json`` exactly one JSON object on stdout
(``cli.pipeline``, shared with ``sync``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from koppelvlak.cli.pipeline import BOARD_HELP, run_import

if TYPE_CHECKING:
    from koppelvlak.roster.importers.snapshot import Snapshot

app = typer.Typer(
    help="Import a roster export of the school's administration system (LAS).",
    no_args_is_help=True,
)


@app.command("uwlr")
def uwlr(
    file: Annotated[
        Path, typer.Argument(help="A UWLR 2.2/2.3 leerlinggegevens_antwoord XML file.")
    ],
    board: str | None = typer.Option(None, "--board", help=BOARD_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Import a UWLR leerlinggegevens answer (bare or in a SOAP envelope) for one school."""

    def parse(progress: Callable[[int], None]) -> Snapshot:
        from koppelvlak.kit.clock import today
        from koppelvlak.roster.importers.uwlr import parse_uwlr

        return parse_uwlr(file, today=today(), progress=progress)

    def fingerprint() -> str | None:
        from koppelvlak.roster.importers.uwlr import file_fingerprint

        return file_fingerprint(file) if file.is_file() else None

    total = file.stat().st_size if file.is_file() else None
    run_import(
        "uwlr", str(file), parse, board=board, as_json=as_json, total=total, fingerprint=fingerprint
    )


@app.command("oneroster")
def oneroster(
    path: Annotated[Path, typer.Argument(help="A OneRoster 1.2 CSV package: a folder or a zip.")],
    board: str | None = typer.Option(
        None, "--board", help="Board code; default the package's district org identifier."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Import a OneRoster 1.2 CSV bulk or delta package (schools, classes, users, enrollments)."""

    def parse(progress: Callable[[int], None]) -> Snapshot:
        from koppelvlak.kit.clock import today
        from koppelvlak.roster.importers.oneroster_map import parse_oneroster
        from koppelvlak.roster.importers.oneroster_stored import Stored
        from koppelvlak.roster.repository import stored_references
        from koppelvlak.runtime import Runtime

        def stored() -> Stored:  # only for a delta that refers to what it does not carry
            with Runtime.from_settings().unit_of_work() as session:
                return stored_references(session, board)

        return parse_oneroster(path, today=today(), progress=progress, stored=stored)

    run_import("oneroster", str(path), parse, board=board, as_json=as_json, total=None)
