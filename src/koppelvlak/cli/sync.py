"""``koppelvlak sync``: pull a school's roster from its LAS over UWLR and bring it in step.

Same pipeline and output as ``koppelvlak import uwlr``; the key may come from the environment
(``KOPPELVLAK_UWLR_KEY``) so it does not show in the process list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from koppelvlak.cli.pipeline import BOARD_HELP, run_import

if TYPE_CHECKING:
    from koppelvlak.roster.importers.snapshot import Snapshot


def sync(
    *,
    uwlr_url: str = typer.Option(..., "--uwlr-url", help="The LAS's UWLR leerlinggegevens URL."),
    key: str = typer.Option(
        ..., "--key", envvar="KOPPELVLAK_UWLR_KEY", help="autorisatiesleutel issued by the LAS."
    ),
    klantcode: str = typer.Option(..., "--klantcode", help="klantcode issued by the LAS."),
    klantnaam: str = typer.Option("Koppelvlak", "--klantnaam", help="klantnaam sent to the LAS."),
    school: str = typer.Option(..., "--school", help="BRIN code of the school, e.g. 99XX."),
    location: str = typer.Option("00", "--location", help="Location code (dependancecode)."),
    school_year: str | None = typer.Option(
        None, "--school-year", help="School year such as 2025-2026; default the current one."
    ),
    board: str | None = typer.Option(None, "--board", help=BOARD_HELP),
    full: bool = typer.Option(
        False,
        "--full",
        help="Ask for all data even if an earlier pull succeeded (default: ask for changes "
        "since the last successful pull; the LAS may answer that nothing changed).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Pull one school from a LAS (UWLR HaalLeerlinggegevens) and sync the roster."""

    source = f"{uwlr_url} ({school}{location})"

    def parse(progress: Callable[[int], None]) -> Snapshot:
        from koppelvlak.kit.clock import today
        from koppelvlak.roster.demo import school_year_of
        from koppelvlak.roster.service import last_successful_run
        from koppelvlak.roster.uwlr_client import PullRequest, pull
        from koppelvlak.runtime import Runtime

        since = None
        if not full:
            with Runtime.from_settings().unit_of_work(write=True) as session:
                since = last_successful_run(session, "uwlr-pull", source)

        request = PullRequest(
            url=uwlr_url,
            key=key,
            client_code=klantcode,
            client_name=klantnaam,
            brin=school,
            location_code=location,
            school_year=school_year or school_year_of(today()),
            since=since,
        )
        return pull(request, today=today(), progress=progress)

    run_import("uwlr-pull", source, parse, board=board, as_json=as_json, total=None)
