"""``koppelvlak worker``: send the outbox, in one or several threads, until told to stop.

Also what an embedded ``serve`` (SQLite) runs in a background thread. The first thread keeps
the schedule: overdue deletion notices escalate, and (for a standalone worker) the kept
releases are refreshed every ``KOPPELVLAK_REFRESH_MINUTES`` so calendar changes are pushed too.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from koppelvlak.cli.console import err

if TYPE_CHECKING:
    import httpx

    from koppelvlak.config import Settings
    from koppelvlak.delivery.worker import Policy
    from koppelvlak.runtime import Runtime

ESCALATE_EVERY = 60.0  # seconds between escalation rounds


def policy(settings: Settings) -> Policy:
    from koppelvlak.delivery.worker import Policy

    return Policy(
        max_attempts=settings.delivery_max_attempts,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        backoff=timedelta(seconds=settings.delivery_backoff_seconds),
        timeout=settings.delivery_timeout_seconds,
    )


def batch_size(rules: Policy) -> int:
    """Rows per claim: all of them must be sent, at worst timing out, well within the lease."""
    return max(1, int(rules.lease.total_seconds() / (2 * rules.timeout)))


def deliver_due(runtime: Runtime, name: str, client: httpx.Client, rules: Policy) -> int:
    """One round: claim what is due, send each, record each. Returns how many were sent."""
    from koppelvlak.delivery import worker
    from koppelvlak.kit.clock import utcnow

    with runtime.unit_of_work() as session:
        if not worker.any_due(session, utcnow()):
            return 0
    with runtime.unit_of_work(write=True) as session:
        claimed = worker.claim(
            session,
            worker=name,
            at=utcnow(),
            secret=runtime.secrets.token_signing_key,
            policy=rules,
            limit=batch_size(rules),
        )
    for item in claimed:
        outcome = worker.send(client, item, utcnow())
        with runtime.unit_of_work(write=True) as session:
            worker.finish(session, item, outcome, worker=name, at=utcnow(), policy=rules)
    return len(claimed)


class Schedule:
    """The periodic jobs of the first worker thread."""

    def __init__(self, runtime: Runtime, *, refresh: bool) -> None:
        self.runtime = runtime
        minutes = runtime.settings.refresh_minutes
        self.refresh_every = minutes * 60.0 if refresh and minutes > 0 else None
        self.last_escalation = self.last_refresh = time.monotonic()

    def run_due(self) -> None:
        from koppelvlak.delivery import notices
        from koppelvlak.kit.clock import utcnow
        from koppelvlak.release import kept

        now = time.monotonic()
        if now - self.last_escalation >= ESCALATE_EVERY:
            self.last_escalation = now
            with self.runtime.unit_of_work(write=True) as session:
                notices.escalate(session, at=utcnow())
        if self.refresh_every is not None and now - self.last_refresh >= self.refresh_every:
            self.last_refresh = now
            with self.runtime.unit_of_work(write=True) as session:
                kept.refresh_all(session, utcnow(), self.runtime.secrets.pseudonym_key)


def run(
    runtime: Runtime,
    name: str,
    stop: threading.Event,
    *,
    schedule: Schedule | None = None,
    idle: float = 0.5,
) -> None:
    """Deliver until ``stop`` is set; a failed round (database away) is retried after a pause."""
    import httpx

    rules = policy(runtime.settings)
    with httpx.Client(timeout=rules.timeout, follow_redirects=False) as client:
        while not stop.is_set():
            try:
                sent = deliver_due(runtime, name, client, rules)
                if schedule is not None:
                    schedule.run_due()
            except Exception as error:  # the next round tries again; the lease protects rows
                from koppelvlak.cli.failures import describe

                err.print(f"[yellow]delivery round failed: {describe(error)}[/]")
                sent = 0
            if not sent:
                stop.wait(idle)


def start(
    runtime: Runtime, threads: int, *, refresh: bool
) -> tuple[threading.Event, list[threading.Thread]]:
    """Start ``threads`` delivery threads; the first also keeps the schedule."""
    stop = threading.Event()
    base = f"{socket.gethostname()[:40]}:{os.getpid()}"
    started = []
    for number in range(threads):
        schedule = Schedule(runtime, refresh=refresh) if number == 0 else None
        thread = threading.Thread(
            target=run,
            args=(runtime, f"{base}:{number}", stop),
            kwargs={"schedule": schedule},
            name=f"delivery-{number}",
            daemon=True,
        )
        thread.start()
        started.append(thread)
    return stop, started


def start_in_background(runtime: Runtime) -> None:
    """Embedded ``serve``: one delivery thread beside the server (it refreshes on its own)."""
    start(runtime, 1, refresh=False)


def worker(
    threads: int = typer.Option(1, min=1, max=64, help="Delivery threads in this process."),
    refresh: bool = typer.Option(
        True, help="Also refresh the kept releases on schedule (pushes calendar changes)."
    ),
) -> None:
    """Send push deliveries and deletion notices until stopped (SIGTERM or Ctrl-C)."""
    import koppelvlak.all_models  # noqa: F401  (every table: the outbox's foreign keys name them)
    from koppelvlak.db import check_database
    from koppelvlak.runtime import Runtime

    runtime = Runtime.from_settings()

    check_database(runtime.engine)
    runtime.secrets  # noqa: B018  (read or create the key file before the threads do)
    stop, started = start(runtime, threads, refresh=refresh)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    err.print(f"Koppelvlak delivery worker: {threads} thread(s)")
    while any(t.is_alive() for t in started):
        for thread in started:
            thread.join(timeout=0.5)
