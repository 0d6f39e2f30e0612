"""``koppelvlak demo``: a realistic synthetic board to try the service with."""

from __future__ import annotations

import json

import typer

from koppelvlak.cli.console import err, out


def demo(
    students: int = typer.Option(1_000, min=1, max=500_000, help="Number of students."),
    seed: int = typer.Option(7, help="Random seed; the same seed gives the same board."),
    school_year: str | None = typer.Option(
        None, help="School year such as 2025-2026; default the current one."
    ),
    replace: bool = typer.Option(False, help="Replace an existing demo board instead of refusing."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Create the demo board (schools, groups, students, staff, guardians)."""
    from koppelvlak.db import check_database, upgrade
    from koppelvlak.errors import Conflict
    from koppelvlak.kit.clock import today
    from koppelvlak.roster.demo import (
        build_demo_board,
        find_demo_board,
        remove_board,
        school_year_of,
    )
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    if runtime.is_sqlite:
        upgrade(runtime.engine)
    year = school_year or school_year_of(today())
    with runtime.unit_of_work() as session:
        existing = find_demo_board(session)
        if existing is not None:
            if not replace:
                raise Conflict("a demo board exists already; use --replace to rebuild it")
            remove_board(session, existing)
        with err.status(f"building a demo board of {students} students"):
            summary = build_demo_board(session, students=students, seed=seed, school_year=year)
    document = {
        "board": {"id": str(summary.board_id), "school_year": summary.school_year},
        "counts": summary.counts,
    }
    if as_json:
        out.print_json(json.dumps(document))
        return
    err.print(f"demo board {summary.board_id} for {summary.school_year}")
    for table, count in summary.counts.items():
        err.print(f"  {table:<20} {count:>8}")
