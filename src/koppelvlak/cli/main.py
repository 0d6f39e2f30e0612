"""Root of the ``koppelvlak`` command; turns every failure into one readable line."""

from __future__ import annotations

import os
import sys

import typer

from koppelvlak import __version__
from koppelvlak.cli import admin as admin_commands
from koppelvlak.cli import audit as audit_commands
from koppelvlak.cli import connection as connection_commands
from koppelvlak.cli import dataset as dataset_commands
from koppelvlak.cli import db as db_commands
from koppelvlak.cli import delivery as delivery_commands
from koppelvlak.cli import demo as demo_commands
from koppelvlak.cli import erase as erase_commands
from koppelvlak.cli import export as export_commands
from koppelvlak.cli import import_cmd as import_commands
from koppelvlak.cli import incident as incident_commands
from koppelvlak.cli import mandate as mandate_commands
from koppelvlak.cli import policy as policy_commands
from koppelvlak.cli import provider as provider_commands
from koppelvlak.cli import purge as purge_commands
from koppelvlak.cli import register as register_commands
from koppelvlak.cli import release as release_commands
from koppelvlak.cli import results as results_commands
from koppelvlak.cli import rights as rights_commands
from koppelvlak.cli import serve as serve_commands
from koppelvlak.cli import sync as sync_commands
from koppelvlak.cli import worker as worker_commands
from koppelvlak.cli.failures import describe

app = typer.Typer(
    name="koppelvlak",
    help="Privacy-first data-exchange gateway for schools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(results_commands.app, name="results")
app.command("serve")(serve_commands.serve)
app.command("demo")(demo_commands.demo)
app.add_typer(import_commands.app, name="import")
app.command("sync")(sync_commands.sync)
app.add_typer(provider_commands.app, name="provider")
app.add_typer(dataset_commands.app, name="dataset")
app.add_typer(connection_commands.app, name="connection")
app.add_typer(release_commands.app, name="release")
app.add_typer(admin_commands.app, name="admin")
app.add_typer(register_commands.app, name="register")
app.add_typer(policy_commands.app, name="policy")
app.add_typer(mandate_commands.app, name="mandate")
app.add_typer(incident_commands.app, name="incident")
app.add_typer(delivery_commands.notices_app, name="notices")
app.add_typer(delivery_commands.app, name="delivery")
app.command("worker")(worker_commands.worker)
app.command("erase")(erase_commands.erase)
app.add_typer(erase_commands.hold_app, name="hold")
app.add_typer(purge_commands.app, name="purge")
app.add_typer(rights_commands.app, name="rights")
app.add_typer(export_commands.app, name="export")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"koppelvlak {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Koppelvlak: every provider gets only what it needs, and every disclosure is recorded."""


def main() -> None:
    """Entry point: run the app; errors become one line on stderr and a non-zero exit."""
    try:
        app()
    except Exception as error:
        sys.stderr.write(f"error: {describe(error)}\n")
        if os.environ.get("KOPPELVLAK_DEBUG"):
            raise
        sys.exit(1)


if __name__ == "__main__":
    main()
