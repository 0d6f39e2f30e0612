"""``koppelvlak serve``: the ASGI app on uvicorn, in one or several worker processes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import typer

from koppelvlak.cli.console import err

if TYPE_CHECKING:
    from koppelvlak.runtime import Runtime


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int | None = typer.Option(
        None,
        min=1,
        help="Worker processes, on SQLite or PostgreSQL.",
        show_default="the number of cores",
    ),
) -> None:
    """Run the service. An embedded SQLite database is migrated automatically, once, before
    the workers start."""
    import uvicorn

    from koppelvlak.db import check_database, current_revision, head_revision, upgrade
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()
    check_database(runtime.engine)
    if runtime.is_sqlite:
        upgrade(runtime.engine)
    elif current_revision(runtime.engine) != head_revision():
        err.print("[yellow]database schema is not current: run `koppelvlak db upgrade`[/]")
    runtime.secrets  # noqa: B018  (create the key file once, before the workers read it)
    runtime.engine.dispose()  # each worker opens its own connections
    if runtime.is_sqlite and runtime.settings.refresh_minutes > 0:
        _refresh_in_background(runtime)
    if runtime.is_sqlite:  # embedded: the outbox is sent from this process too
        from koppelvlak.cli.worker import start_in_background

        start_in_background(runtime)
    workers = workers or cores()
    err.print(
        f"Koppelvlak on http://{host}:{port}  (database: {runtime.engine.url.render_as_string()}, "
        f"{workers} worker{'s' if workers > 1 else ''})"
    )
    uvicorn.run("koppelvlak.app:create_app", **uvicorn_options(runtime, host, port, workers))


WORKER_HEALTHCHECK_SECONDS = 120
"""How long uvicorn waits for a worker to start and to answer its supervisor's ping.

uvicorn's default 5 s killed workers that were still importing the app on a busy 2-core
machine, and restarted them in a loop (bench/README.md, provider API). A worker that truly
hangs is still replaced, two minutes later.
"""


def uvicorn_options(runtime: Runtime, host: str, port: int, workers: int) -> dict[str, Any]:
    """Everything ``serve`` tells uvicorn besides the app (a function, so a test can read it)."""
    from koppelvlak.kit.log_policy import server_log_config

    return {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": runtime.settings.log_level,
        "proxy_headers": True,
        # Logs without personal data: no uvicorn access line (it prints full URLs), exceptions
        # without their messages (kit/log_policy.py).
        "access_log": False,
        "log_config": server_log_config(runtime.settings.log_level),
        # Bounded request heads: h11 refuses a request line plus headers over the limit before
        # holding it in memory (httptools buffers any size).
        "http": "h11",
        "h11_max_incomplete_event_size": runtime.settings.max_header_bytes,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }


def _refresh_in_background(runtime: object) -> None:
    """Embedded mode: the kept releases follow the calendar (ages, end dates) without cron."""
    import threading
    import time

    from koppelvlak.kit.clock import utcnow
    from koppelvlak.release import kept
    from koppelvlak.rights.requests import remind_every_board
    from koppelvlak.runtime import Runtime

    assert isinstance(runtime, Runtime)
    interval = runtime.settings.refresh_minutes * 60

    def loop() -> None:
        while True:
            try:
                with runtime.unit_of_work(write=True) as session:
                    kept.refresh_all(session, utcnow(), runtime.secrets.pseudonym_key)
            except Exception as error:  # a failed round is retried the next round
                err.print(f"[yellow]kept release refresh failed: {type(error).__name__}[/]")
            try:  # data-subject request deadlines: the DPO is mailed once, a week ahead
                with runtime.unit_of_work(write=True) as session:
                    remind_every_board(session, at=utcnow(), dpo_email=runtime.settings.dpo_email)
            except Exception as error:
                err.print(f"[yellow]rights reminders failed: {type(error).__name__}[/]")
            time.sleep(interval)

    threading.Thread(target=loop, name="kept-release-refresh", daemon=True).start()


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
