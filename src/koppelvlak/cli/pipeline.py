"""The import pipeline shared by ``koppelvlak import`` and ``koppelvlak sync``.

Parse first (no database), then apply in one transaction, record the run (a refused one too),
and report: progress on stderr, a summary table on stdout, or with ``--json`` exactly one JSON
object on stdout. A module of its own so the command modules need not import each other.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from koppelvlak.cli.console import err, out
from koppelvlak.cli.failures import describe

if TYPE_CHECKING:
    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.roster.importers.snapshot import Snapshot

BOARD_HELP = (
    "Board code to import into; created (with the code as name) if it does not exist. "
    "Default: the board that already has this school, or the only board."
)
ParseStep = Callable[[Callable[[int], None]], "Snapshot"]
UNCHANGED = "the same bytes as this school's last import: not read again, nothing changed"


def run_import(
    kind: str,
    source: str,
    parse: ParseStep,
    *,
    board: str | None,
    as_json: bool,
    total: int | None,
    fingerprint: Callable[[], str | None] | None = None,
) -> None:
    """Parse, apply in one transaction, record the run, and report (shared with ``sync``).

    ``fingerprint`` gives what the snapshot of the source would carry, without parsing it:
    when the school's last sync read that very source and its rows have not moved since, the
    source is not parsed at all and the run is recorded as unchanged (ADR 0072).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from koppelvlak.db import check_database, refresh_statistics, upgrade
    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.kit.clock import today, utcnow
    from koppelvlak.roster.models import BULK_LOADED_TABLES
    from koppelvlak.roster.service import apply_snapshot, record_refused, skip_unchanged
    from koppelvlak.runtime import Runtime

    started = utcnow()
    runtime = Runtime.from_settings()
    try:
        check_database(runtime.engine)
        if runtime.is_sqlite:
            upgrade(runtime.engine)
    except KoppelvlakError as error:
        _fail(error, as_json)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    )
    try:
        with progress:
            key = fingerprint() if fingerprint is not None else None
            skipped = None
            if key is not None:
                with runtime.unit_of_work(write=True) as session:
                    skipped = skip_unchanged(
                        session,
                        fingerprint=key,
                        board_code=board,
                        source_kind=kind,
                        source=source,
                        started_at=started,
                    )
            if skipped is not None:
                report = skipped
            else:
                reading = progress.add_task(f"reading {Path(source).name}", total=total)
                snapshot = parse(lambda done: progress.update(reading, completed=done))
                progress.update(reading, completed=total)
                progress.add_task("updating the roster", total=None)
                with runtime.unit_of_work(write=True) as session:
                    report = apply_snapshot(
                        session,
                        snapshot,
                        board_code=board,
                        today=today(),
                        started_at=started,
                        source=source,
                        source_kind=kind,
                    )
    except Exception as error:  # every failure is recorded, then shown as one line
        problem = error if isinstance(error, KoppelvlakError) else _unexpected(error)
        try:
            with runtime.unit_of_work(write=True) as session:
                record_refused(
                    session,
                    source_kind=kind,
                    source=source,
                    error=problem,
                    started_at=started,
                    board_code=board,
                )
        except Exception:  # noqa: S110  (the history is best effort; the user still sees the cause)
            pass
        _fail(problem, as_json)
    if not report.unchanged:
        refresh_statistics(runtime.engine, BULK_LOADED_TABLES)
    if as_json:
        document: dict[str, object] = {
            "outcome": "ok",
            "source": source,
            "counts": report.counts,
            "warnings": list(report.warnings),
        }
        if report.unchanged:
            document["unchanged"] = True
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    title = f"Unchanged {source}" if report.unchanged else f"Imported {source}"
    _summary(title, report.counts, report.warnings, UNCHANGED if report.unchanged else None)


def _unexpected(error: Exception) -> KoppelvlakError:
    from koppelvlak.errors import KoppelvlakError

    return KoppelvlakError(describe(error))


def _fail(error: KoppelvlakError, as_json: bool) -> typer.Exit:
    problems: tuple[str, ...] = getattr(error, "problems", ())
    detail = "\n".join(problems) if len(problems) > 1 else error.detail
    if as_json:
        document = {"outcome": "error", "error": detail, "location": error.location or ""}
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    elif len(problems) > 1:
        err.print("error: the import was refused; nothing changed:", markup=False, soft_wrap=True)
        for line in problems[:8]:
            err.print(f"  {line}", markup=False, soft_wrap=True)
        if len(problems) > 8:
            err.print(f"  and {len(problems) - 8} more", markup=False, soft_wrap=True)
    else:
        err.print(f"error: {error}", markup=False, soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def _summary(
    title: str, counts: dict[str, dict[str, int]], warnings: tuple[str, ...], note: str | None
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("kind")
    for column in ("added", "changed", "removed", "total"):
        table.add_column(column, justify="right")
    for kind, numbers in counts.items():
        table.add_row(kind, *(str(numbers[c]) for c in ("added", "changed", "removed", "total")))
    out.print(table)
    if note is not None:
        out.print(note[0].upper() + note[1:] + ".", markup=False, soft_wrap=True)
    if warnings:
        out.print(f"{len(warnings)} warning(s):", markup=False, soft_wrap=True)
        for line in warnings[:20]:
            out.print(f"  {line}", markup=False, soft_wrap=True)
        if len(warnings) > 20:
            out.print(f"  and {len(warnings) - 20} more", markup=False, soft_wrap=True)
