"""Push deliveries: deliveries per second with 1 and 4 workers, and the delay from a roster
change to its delivery, against a receiver on loopback that answers 200 at once.

    .venv/bin/python -m bench.bench_delivery throughput --deliveries 400 --workers 1 4
    .venv/bin/python -m bench.bench_delivery throughput --database postgresql
    .venv/bin/python -m bench.bench_delivery latency --samples 7

A fresh database with the demo board (``koppelvlak demo --students 200``); every active demo
connection is registered for push to the receiver. ``throughput``: the workers are real
``koppelvlak worker --threads 1`` processes, started and idle first; then one transaction
enqueues the deliveries (small ``changes`` bodies, round robin over the connections, each with
its ledger entry), and the clock runs from that commit to the receiver's last arrival.
``latency``: one idle worker; a unit of work adds a student to the school (as a sync would) and
commits; the clock runs from the commit to the arrival of the ``changes`` delivery naming the
new user. The worker polls every 0.5 s when idle, which bounds the delay from above.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, select, text, update

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Arrivals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, float] = {}
        self.bodies: dict[str, dict[str, object]] = {}
        self.changed = threading.Condition(self.lock)


@contextmanager
def receiver() -> Iterator[tuple[str, Arrivals]]:
    arrivals = Arrivals()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with arrivals.changed:
                arrivals.times.setdefault(key, time.perf_counter())
                arrivals.bodies.setdefault(key, json.loads(body))
                arrivals.changed.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/push", arrivals
    finally:
        server.shutdown()


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    name = f"bench_delivery_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str) -> None:
    """Remove a PostgreSQL database this bench created (SQLite goes with its folder)."""
    if url.startswith("sqlite"):
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = url.rsplit("/", 1)[1]
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _env(url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
    env.update(
        KOPPELVLAK_DATABASE_URL=url,
        KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"),
        KOPPELVLAK_LOG_LEVEL="warning",
        KOPPELVLAK_DELIVERY_TIMEOUT_SECONDS="5",
    )
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "koppelvlak.cli.main", *args],
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def workers(env: dict[str, str], count: int) -> Iterator[None]:
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "koppelvlak.cli.main", "worker", "--no-refresh"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    time.sleep(8)  # let them import and reach their idle loop
    try:
        yield
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            process.wait(timeout=60)


def _runtime(url: str, workdir: Path):  # type: ignore[no-untyped-def]
    from koppelvlak.config import Settings
    from koppelvlak.runtime import Runtime

    return Runtime.from_settings(
        Settings(
            database_url=url, key_file=workdir / "keys.json", delivery_allow_loopback_http=True
        )
    )


def _prepare(
    url: str, workdir: Path, endpoint: str
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """The demo board, every active connection pushed; the initial releases marked delivered."""
    import koppelvlak.all_models  # noqa: F401
    from koppelvlak.connections.models import Connection, ConnectionState
    from koppelvlak.delivery import push
    from koppelvlak.delivery.models import DeliveryOutbox
    from koppelvlak.kit.clock import utcnow

    env = _env(url, workdir)
    _cli(env, "db", "upgrade")
    _cli(env, "demo", "--students", "200")
    runtime = _runtime(url, workdir)
    with runtime.unit_of_work(write=True) as session:
        found = session.scalars(
            select(Connection).where(Connection.state == ConnectionState.ACTIVE)
        ).all()
        for connection in found:
            push.register(
                session,
                board_id=connection.board_id,
                connection_id=connection.id,
                url=endpoint,
                actor="bench",
                at=utcnow(),
                allow_loopback_http=True,
            )
        ids = [(c.board_id, c.id, c.provider_id) for c in found]
    with runtime.unit_of_work(write=True) as session:
        session.execute(update(DeliveryOutbox).values(state="delivered"))
    runtime.engine.dispose()
    return ids


def throughput(args: argparse.Namespace) -> None:
    from koppelvlak.delivery import outbox
    from koppelvlak.kit.clock import utcnow

    for count in args.workers:
        rates = []
        for _run in range(args.runs):
            with tempfile.TemporaryDirectory() as folder, receiver() as (endpoint, arrivals):
                workdir = Path(folder)
                url = _database(args.database, workdir)
                connections = _prepare(url, workdir, endpoint)
                runtime = _runtime(url, workdir)
                with workers(_env(url, workdir), count):
                    with runtime.unit_of_work(write=True) as session:
                        for n in range(args.deliveries):
                            board_id, connection_id, provider_id = connections[n % len(connections)]
                            outbox.enqueue(
                                session,
                                board_id=board_id,
                                connection_id=connection_id,
                                provider_id=provider_id,
                                kind="changes",
                                url=endpoint,
                                document={"objects": {}, "n": n},
                                person_ids=frozenset(),
                                attribute_ids=frozenset(),
                                at=utcnow(),
                            )
                    start = time.perf_counter()
                    with arrivals.changed:
                        arrivals.changed.wait_for(
                            lambda: len(arrivals.times) >= args.deliveries, timeout=600
                        )
                        last = max(arrivals.times.values())
                rates.append(args.deliveries / (last - start))
                runtime.engine.dispose()
                _drop(url)
        print(
            f"{args.database} workers={count}: median {statistics.median(rates):.0f} deliveries/s "
            f"(min {min(rates):.0f}, max {max(rates):.0f}, {args.runs} runs of {args.deliveries},"
            f" {len(connections)} connections)"
        )


def latency(args: argparse.Namespace) -> None:
    from koppelvlak.kit import changes
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.roster.models import School, Student

    delays = []
    with tempfile.TemporaryDirectory() as folder, receiver() as (endpoint, arrivals):
        workdir = Path(folder)
        url = _database(args.database, workdir)
        _prepare(url, workdir, endpoint)
        runtime = _runtime(url, workdir)
        with workers(_env(url, workdir), 1):
            with runtime.unit_of_work() as session:
                school = session.scalars(select(School).order_by(School.brin)).first()
                assert school is not None
                board_id, school_id = school.board_id, school.id
            for sample in range(args.samples):
                seen = set(arrivals.times)
                with runtime.unit_of_work(write=True) as session:
                    session.add(
                        Student(
                            board_id=board_id,
                            school_id=school_id,
                            source_key=f"bench-{sample}-{uuid.uuid4().hex[:6]}",
                            given_name="Bench",
                            family_name="Meting",
                            birth_date=None,
                            year_group="8",
                        )
                    )
                    changes.school_changed(session, school_id, utcnow())
                start = time.perf_counter()
                with arrivals.changed:
                    arrivals.changed.wait_for(
                        lambda seen=seen: set(arrivals.times) - seen,  # type: ignore[misc]
                        timeout=60,
                    )
                    first = min(arrivals.times[k] for k in set(arrivals.times) - seen)
                delays.append(first - start)
                time.sleep(0.3)
        runtime.engine.dispose()
        _drop(url)
    print(
        f"{args.database} change → delivery: median {statistics.median(delays) * 1000:.0f} ms "
        f"(min {min(delays) * 1000:.0f}, max {max(delays) * 1000:.0f}, {args.samples} samples)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("throughput")
    one.add_argument("--deliveries", type=int, default=400)
    one.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    one.add_argument("--runs", type=int, default=3)
    two = sub.add_parser("latency")
    two.add_argument("--samples", type=int, default=7)
    for command in (one, two):
        command.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    {"throughput": throughput, "latency": latency}[args.command](args)


if __name__ == "__main__":
    main()
