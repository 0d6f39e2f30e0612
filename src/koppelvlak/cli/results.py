"""``koppelvlak results``: what providers returned for a school, and exports for its LAS."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from koppelvlak.cli.console import err, out

app = typer.Typer(
    help="Results returned by providers (UWLR BrengLeerresultaten).", no_args_is_help=True
)


class ExportFormat(StrEnum):
    UWLR = "uwlr"
    CSV = "csv"


_BRIN = typer.Option(..., "--brin", help="BRIN code of the school, e.g. 99XX.")
_LOCATION = typer.Option("00", "--location", help="Location code (dependancecode).")
_YEAR = typer.Option(None, "--school-year", help="Only this school year, e.g. 2025-2026.")
_FORMAT = typer.Option(
    ExportFormat.UWLR, "--format", help="uwlr: a leerresultaten_verzoek; csv: one row per result."
)
_OUTPUT = typer.Option(None, "--output", "-o", help="File to write; default stdout.")


@app.command("list")
def list_(
    brin: str = _BRIN,
    location: str = _LOCATION,
    school_year: str | None = _YEAR,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Show the results providers sent for one school, oldest first."""
    from rich.table import Table

    from koppelvlak.results.service import list_results
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        rows = list_results(session, brin.upper(), location, school_year=school_year)
    if as_json:
        document = [
            {
                "student_key": r.student_key,
                "result_key": r.result_key,
                "test_code": r.test_code,
                "test_name": r.test_name,
                "part_code": r.part_code,
                "taken_on": r.taken_on.isoformat(),
                "score": r.score,
                "skill_score": r.skill_score,
                "school_year": r.school_year,
                "received_at": r.received_at.isoformat(),
                "connection_id": str(r.connection_id),
            }
            for r in rows
        ]
        out.print_json(json.dumps(document))
        return
    table = Table("student", "test", "part", "taken on", "score", "result key")
    for r in rows:
        score = str(r.score) if r.score is not None else (r.skill_score or "")
        table.add_row(
            r.student_key,
            r.test_name or r.test_code,
            r.part_code or "",
            r.taken_on.isoformat(),
            score,
            r.result_key,
        )
    out.print(table)
    err.print(f"{len(rows)} results for {brin.upper()}-{location}")


@app.command("export")
def export(
    brin: str = _BRIN,
    location: str = _LOCATION,
    school_year: str | None = _YEAR,
    export_format: ExportFormat = _FORMAT,
    output: Path | None = _OUTPUT,
) -> None:
    """Export a school's results for its LAS, keyed by the LAS's own student keys."""
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.results.service import export_csv, export_message, export_xml, list_results
    from koppelvlak.runtime import Runtime

    with Runtime.from_settings().unit_of_work() as session:
        if export_format is ExportFormat.UWLR:
            message = export_message(
                session, brin.upper(), location, at=utcnow(), school_year=school_year
            )
            data = export_xml(message)
        else:
            rows = list_results(session, brin.upper(), location, school_year=school_year)
            data = export_csv(rows).encode("utf-8")
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    output.write_bytes(data)
    err.print(f"wrote {output}")
