"""``koppelvlak db``: schema migrations."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err

app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Bring the database schema up to date (safe to run repeatedly)."""
    from koppelvlak.db import check_database, current_revision
    from koppelvlak.db import upgrade as run_upgrade
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    run_upgrade(runtime.engine, revision)
    err.print(f"database at revision {current_revision(runtime.engine)}")


@app.command("current")
def current() -> None:
    """Show the schema revision of the configured database."""
    from koppelvlak.db import check_database, current_revision, head_revision
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    typer.echo(f"{current_revision(runtime.engine) or 'empty'} (head {head_revision()})")
