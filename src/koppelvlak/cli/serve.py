"""``koppelvlak serve``: the ASGI app on uvicorn."""

from __future__ import annotations

import typer

from koppelvlak.cli.console import err


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (PostgreSQL for more than one)."),
) -> None:
    """Run the service. An embedded SQLite database is migrated automatically."""
    import uvicorn

    from koppelvlak.db import check_database, current_revision, head_revision, upgrade
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    if runtime.is_sqlite:
        upgrade(runtime.engine)
    elif current_revision(runtime.engine) != head_revision():
        err.print("[yellow]database schema is not current: run `koppelvlak db upgrade`[/]")
    runtime.secrets  # noqa: B018  (create the key file before workers race for it)
    if runtime.is_sqlite and runtime.settings.refresh_minutes > 0:
        _refresh_in_background(runtime)
    err.print(
        f"Koppelvlak on http://{host}:{port}  (database: {runtime.engine.url.render_as_string()})"
    )
    uvicorn.run(
        "koppelvlak.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=runtime.settings.log_level,
        proxy_headers=True,
    )


def _refresh_in_background(runtime: object) -> None:
    """Embedded mode: the kept releases follow the calendar (ages, end dates) without cron."""
    import threading
    import time

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.release import kept
    from koppelvlak.runtime import Runtime

    assert isinstance(runtime, Runtime)
    interval = runtime.settings.refresh_minutes * 60

    def loop() -> None:
        while True:
            try:
                with runtime.unit_of_work() as session:
                    kept.refresh_all(session, utcnow(), runtime.secrets.pseudonym_key)
            except Exception as error:  # a failed round is retried the next round
                err.print(f"[yellow]kept release refresh failed: {type(error).__name__}[/]")
            time.sleep(interval)

    threading.Thread(target=loop, name="kept-release-refresh", daemon=True).start()
