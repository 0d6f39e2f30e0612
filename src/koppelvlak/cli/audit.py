"""``koppelvlak audit``: check that the disclosure ledger is intact."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err

app = typer.Typer(help="The disclosure ledger.", no_args_is_help=True)

PROGRESS_FROM = 20_000  # entries; shorter chains verify before a bar would be worth drawing


@app.command("verify")
def verify(
    board: str | None = typer.Option(None, "--board", help="Board code; default every board."),
    workers: int = typer.Option(
        0, min=0, help="Processes for long chains; 0 means one per CPU core."
    ),
) -> None:
    """Recompute every chain; exit 1 naming the first broken entry of each broken chain."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from koppelvlak.audit import service
    from koppelvlak.db import check_database
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("verifying the ledger", start=False)

    def progress(done: int, total: int) -> None:
        if total < PROGRESS_FROM or not err.is_terminal:
            return
        if not bar.live.is_started:
            bar.start()
            bar.start_task(task)
        bar.update(task, advance=done, total=total)

    try:
        with runtime.unit_of_work() as session:
            board_id = service.board_by_code(session, board) if board else None
            report = service.verify(
                session, board_id, progress=progress, workers=workers or os.cpu_count() or 1
            )
    finally:
        if bar.live.is_started:
            bar.stop()
    for chain in report.broken:
        broken = chain.broken
        assert broken is not None
        entry = f"entry {broken.entry_id}" if broken.entry_id else "a missing entry"
        typer.echo(
            f"ledger broken: board {chain.board_code or chain.board_id} at sequence "
            f"{broken.sequence} ({entry}): {broken.kind}: {broken.detail}"
        )
    if not report.ok:
        raise typer.Exit(1)
    erased = sum(chain.erased_subjects for chain in report.chains)
    typer.echo(
        f"ledger intact: {report.entries} entries in {len(report.chains)} "
        f"chain{'s' if len(report.chains) != 1 else ''} verified"
        + (f" ({erased} erased people)" if erased else "")
    )
