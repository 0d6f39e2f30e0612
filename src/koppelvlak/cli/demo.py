"""``koppelvlak demo``: a realistic synthetic board to try the service with."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import typer

from koppelvlak.cli.console import err, out

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def demo(
    *,
    students: int = typer.Option(1_000, min=1, max=500_000, help="Number of students."),
    seed: int = typer.Option(7, help="Random seed; the same seed gives the same board."),
    school_year: str | None = typer.Option(
        None, help="School year such as 2025-2026; default the current one."
    ),
    replace: bool = typer.Option(False, help="Replace an existing demo board instead of refusing."),
    discard_ledger: bool = typer.Option(
        False, help="With --replace: also erase the old board's disclosure ledger."
    ),
    keep_existing: bool = typer.Option(
        False, help="Keep an existing demo board; build one only when there is none."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Create the demo board (schools, groups, students, staff, guardians) and demo providers.

    The demo credentials derive from the seed: predictable on purpose, for demos only.
    """
    from koppelvlak.accounts.demo import create_demo_accounts
    from koppelvlak.connections.demo import create_demo_admin, create_demo_providers
    from koppelvlak.db import check_database, refresh_statistics, upgrade
    from koppelvlak.errors import KoppelvlakError
    from koppelvlak.kit.clock import today, utcnow
    from koppelvlak.roster.demo import (
        DEMO_BOARD_CODE,
        board_contents,
        build_demo_board,
        find_demo_board,
        school_year_of,
    )
    from koppelvlak.roster.models import BULK_LOADED_TABLES
    from koppelvlak.runtime import Runtime

    if replace and keep_existing:
        raise KoppelvlakError("--replace and --keep-existing contradict each other; choose one")
    if discard_ledger and not replace:
        raise KoppelvlakError("--discard-ledger only goes with --replace")
    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    if runtime.is_sqlite:
        upgrade(runtime.engine)
    year = school_year or school_year_of(today())
    removed: dict[str, int] = {}
    with runtime.unit_of_work(write=True) as session:
        existing = find_demo_board(session)
        if existing is not None and keep_existing:
            _report_kept(existing, board_contents(session, existing), as_json=as_json, seed=seed)
            return
        if existing is not None:
            removed = _make_room(session, existing, replace=replace, discard_ledger=discard_ledger)
        with err.status(f"building a demo board of {students} students"):
            summary = build_demo_board(session, students=students, seed=seed, school_year=year)
        with err.status("creating the demo providers"):
            now = utcnow()
            providers = create_demo_providers(session, summary.board_id, seed=seed, at=now)
            admin = create_demo_admin(session, summary.board_id, DEMO_BOARD_CODE, seed=seed, at=now)
            logins = create_demo_accounts(
                session, summary.board_id, DEMO_BOARD_CODE, seed=seed, at=now
            )
    refresh_statistics(runtime.engine, BULK_LOADED_TABLES)
    document = {
        "board": {"id": str(summary.board_id), "school_year": summary.school_year},
        "counts": summary.counts,
        "admin": admin.as_dict(),
        "web_logins": [login.as_dict() for login in logins],
        "providers": [p.as_dict() for p in providers],
        "removed": removed,
    }
    if as_json:
        out.print_json(json.dumps(document))
    else:
        _report_built(document)


def _make_room(
    session: Session, board_id: uuid.UUID, *, replace: bool, discard_ledger: bool
) -> dict[str, int]:
    """Remove the old demo board, or refuse: without --replace, or when its ledger would go.

    The ledger is the record of what left the gateway; erasing it out of habit (as ``make run``
    once did on every start) is a quiet loss, so that takes its own explicit option.
    """
    from koppelvlak.audit.models import Entry
    from koppelvlak.connections.demo import remove_demo_providers
    from koppelvlak.errors import Conflict
    from koppelvlak.roster.demo import board_contents, remove_board

    if not replace:
        raise Conflict("a demo board exists already; use --replace to rebuild it")
    entries = board_contents(session, board_id).get(Entry.__tablename__, 0)
    if entries and not discard_ledger:
        raise Conflict(
            f"the demo board's disclosure ledger holds {entries} "
            f"{'entry' if entries == 1 else 'entries'}; --replace would erase "
            f"{'it' if entries == 1 else 'them'}. Add --discard-ledger to rebuild anyway"
        )
    removed = remove_board(session, board_id)
    remove_demo_providers(session)
    return removed


def _report_kept(
    board_id: uuid.UUID, contents: dict[str, int], *, as_json: bool, seed: int
) -> None:
    """Say that the board stays, and what it holds; nothing was changed."""
    if as_json:
        out.print_json(json.dumps({"board": {"id": str(board_id)}, "kept": contents}))
        return
    err.print(
        f"kept the existing demo board {board_id} ({contents.get('student', 0)} students); "
        "rebuild it with `koppelvlak demo --replace`",
        soft_wrap=True,
    )
    err.print("its demo credentials are unchanged: those printed when it was built")
    _report_web_login(seed)


def _report_built(document: dict[str, Any]) -> None:
    if document["removed"]:
        err.print("removed the previous demo board:")
        for table, count in document["removed"].items():
            err.print(f"  {table:<28} {count:>8}")
    err.print(f"demo board {document['board']['id']} for {document['board']['school_year']}")
    for table, count in document["counts"].items():
        err.print(f"  {table:<20} {count:>8}")
    err.print("demo credentials (derived from the seed: predictable, for demos only)")
    admin = document["admin"]
    err.print(f"  admin token ({admin['board']}): {admin['token']}")
    err.print(f"  DPO token   ({admin['board']}): {admin['dpo_token']}")
    _report_web_login(None, document["web_logins"])
    for provider in document["providers"]:
        err.print(f"  {provider['name']} — {provider['app']}")
        err.print(f"    client id {provider['client_id']}  secret {provider['client_secret']}")
        uwlr = provider["uwlr"]
        err.print(
            f"    UWLR klantcode {uwlr['klantcode']}  "
            f"autorisatiesleutel {uwlr['autorisatiesleutel']}"
        )


def _report_web_login(seed: int | None, logins: list[dict[str, str]] | None = None) -> None:
    """The demo admin's web login: the same on every start for the same seed."""
    from koppelvlak.accounts.demo import demo_logins
    from koppelvlak.roster.demo import DEMO_BOARD_CODE

    if logins is None:
        logins = [login.as_dict() for login in demo_logins(DEMO_BOARD_CODE, seed or 0)]
    first = logins[0]
    err.print(
        f"  web login ({first['role']}): board {first['board']}  e-mail {first['email']}  "
        f"password {first['password']}"
        + (f"  (when built with --seed {seed})" if seed is not None else ""),
        soft_wrap=True,
    )
