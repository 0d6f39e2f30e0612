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
    from koppelvlak.kit.log_policy import server_log_config
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    if runtime.is_sqlite:
        upgrade(runtime.engine)
    elif current_revision(runtime.engine) != head_revision():
        err.print("[yellow]database schema is not current: run `koppelvlak db upgrade`[/]")
    runtime.secrets  # noqa: B018  (create the key file before workers race for it)
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
        # Logs without personal data: no uvicorn access line (it prints full URLs), exceptions
        # without their messages (kit/log_policy.py).
        access_log=False,
        log_config=server_log_config(runtime.settings.log_level),
        # Bounded request heads: h11 refuses a request line plus headers over the limit before
        # holding it in memory (httptools buffers any size).
        http="h11",
        h11_max_incomplete_event_size=runtime.settings.max_header_bytes,
    )
