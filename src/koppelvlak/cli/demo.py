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
    """Create the demo board (schools, groups, students, staff, guardians) and demo providers.

    The demo credentials derive from the seed: predictable on purpose, for demos only.
    """
    from koppelvlak.connections.demo import (
        create_demo_admin,
        create_demo_providers,
        remove_demo_providers,
    )
    from koppelvlak.db import check_database, upgrade
    from koppelvlak.errors import Conflict
    from koppelvlak.kit.clock import today, utcnow
    from koppelvlak.roster.demo import (
        DEMO_BOARD_CODE,
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
    with runtime.unit_of_work(write=True) as session:
        existing = find_demo_board(session)
        if existing is not None:
            if not replace:
                raise Conflict("a demo board exists already; use --replace to rebuild it")
            remove_board(session, existing)
            remove_demo_providers(session)
        with err.status(f"building a demo board of {students} students"):
            summary = build_demo_board(session, students=students, seed=seed, school_year=year)
        with err.status("creating the demo providers"):
            now = utcnow()
            providers = create_demo_providers(session, summary.board_id, seed=seed, at=now)
            admin = create_demo_admin(session, summary.board_id, DEMO_BOARD_CODE, seed=seed, at=now)
    from koppelvlak.db import refresh_statistics
    from koppelvlak.roster.models import BULK_LOADED_TABLES

    refresh_statistics(runtime.engine, BULK_LOADED_TABLES)
    document = {
        "board": {"id": str(summary.board_id), "school_year": summary.school_year},
        "counts": summary.counts,
        "admin": admin.as_dict(),
        "providers": [p.as_dict() for p in providers],
    }
    if as_json:
        out.print_json(json.dumps(document))
        return
    err.print(f"demo board {summary.board_id} for {summary.school_year}")
    for table, count in summary.counts.items():
        err.print(f"  {table:<20} {count:>8}")
    err.print("demo credentials (derived from the seed: predictable, for demos only)")
    err.print(f"  admin token ({admin.board_code}): {admin.admin_token}")
    err.print(f"  DPO token   ({admin.board_code}): {admin.dpo_token}")
    for provider in providers:
        err.print(f"  {provider.name} — {provider.app}")
        err.print(f"    client id {provider.client_id}  secret {provider.client_secret}")
        err.print(
            f"    UWLR klantcode {provider.klantcode}  "
            f"autorisatiesleutel {provider.autorisatiesleutel}"
        )
