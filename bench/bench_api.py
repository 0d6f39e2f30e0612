"""Provider API throughput: `users` pages of 100 with the ledger, without it, and as static bytes.

    .venv/bin/python -m bench.bench_api --students 2000 --runs 3 --seconds 10

In one run, for SQLite and PostgreSQL: build the demo board, add the test suite's providers, and
start two real ``koppelvlak serve --workers 2`` servers (``bench/bench_app.py``): one as shipped,
one whose OneRoster reads skip the ledger (the only difference). The first also answers
``/bench/static`` with the exact bytes of the page, through the same app and middleware. Each run
drives every cell — with ledger, without ledger, static; 1 and 8 clients — interleaved, so a
change in the machine's load hits all three alike. The load generator is ``wrk`` (Debian package
``wrk``); without it the bench says so and falls back to Python threads, which on a 2-core
machine compete with the server and measure less.

Per cell: req/s, p50/p99 ms, the servers' CPU ms per request (all their processes, from /proc),
on PostgreSQL also its backends' CPU ms per request (the backends connected to the bench's
database, from /proc: the server runs on this machine),
and for the ledger server the ledger bytes per page: the growth of the used database pages on
SQLite (WAL checkpointed first), of ``pg_total_relation_size`` of the audit tables on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import free_port, koppelvlak_env, run_cli  # noqa: E402

USERS = "/ims/oneroster/rostering/v1p2/users?limit=100&offset=0"
POSTGRES = os.environ.get(
    "KOPPELVLAK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AUDIT_TABLES = ("audit_chain", "audit_entry", "audit_payload", "audit_person_key")
WRK = shutil.which("wrk")
TARGETS = {"static": 0.40, "overhead": 0.10, "rate8": 450.0, "ledger": 4096.0}


@dataclass
class Cell:
    """One measurement: a target at a number of clients for a few seconds."""

    rate: float
    p50: float
    p99: float
    requests: int
    errors: int
    cpu_ms: float  # server CPU per request, all its processes
    ledger_bytes: float | None = None  # growth per page served
    database_cpu_ms: float | None = None  # PostgreSQL: its backends' CPU per request
    background_cpu_ms: float | None = None  # of which not client backends (autovacuum, …)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    cells: dict[tuple[str, int], list[Cell]] = field(default_factory=dict)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(env: dict[str, str], workers: int, workdir: Path, name: str) -> Server:
    """``koppelvlak serve --workers N`` through the bench factory; wait until it answers."""
    port = free_port()
    log = workdir / f"{name}.log"
    args = [sys.executable, "-m", "bench.bench_app", "serve", "--port", str(port)]
    args += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return Server(process, base, log)
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"bench server did not start:\n{log.read_text()[-2000:]}")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + sys) of one process so far, from /proc (FileNotFoundError: gone)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + sys) of a process and all its descendants, from /proc."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += process_cpu(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def token(base: str, provider: dict[str, Any]) -> str:
    answer = httpx.post(
        base + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(provider["client_id"], provider["client_secret"]),
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def wrk(url: str, authorization: str, clients: int, seconds: float) -> dict[str, Any]:
    threads = min(clients, 2)
    script = str(ROOT / "bench" / "wrk_report.lua")
    args = [str(WRK), f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s"]
    done = subprocess.run(
        [*args, "-s", script, url],
        env={**os.environ, "BENCH_AUTHORIZATION": authorization},
        capture_output=True,
        text=True,
        check=True,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("{")][-1]
    found: dict[str, Any] = json.loads(line)
    errors = sum(v for k, v in found.items() if k.startswith("errors_"))
    return {
        "requests": found["requests"],
        "rate": found["requests"] / (found["duration_us"] / 1e6),
        "p50": found["p50_us"] / 1000,
        "p99": found["p99_us"] / 1000,
        "errors": errors,
    }


def threads(url: str, authorization: str, clients: int, seconds: float) -> dict[str, Any]:
    """The fallback without wrk: ``clients`` Python threads with keep-alive connections."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        mine: list[float] = []
        with httpx.Client(headers={"Authorization": authorization}, timeout=30) as client:
            while time.perf_counter() < stop:
                begin = time.perf_counter()
                if client.get(url).status_code != 200:
                    errors[0] += 1
                mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors[0],
    }


def ledger_size(url: str) -> int:
    """Bytes the ledger occupies: used SQLite pages (WAL checkpointed), or the audit tables."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1], timeout=60) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            return int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        sizes = [f"pg_total_relation_size('{t}')" for t in AUDIT_TABLES]
        row = db.execute("SELECT " + " + ".join(sizes)).fetchone()
        return int(row[0]) if row else 0


def backends_cpu(url: str) -> dict[int, tuple[bool, float]]:
    """(client backend?, CPU seconds so far) of every PostgreSQL process on the bench database.

    Read from ``/proc`` (the server runs on this machine); autovacuum workers on the database
    are in it too, marked as not client backends. The servers' pools keep their backends for
    the whole run, so a cell's difference is their work for its requests; a process that ends
    within a cell takes its share with it (counted low, never high).
    """
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        rows = db.execute(
            "SELECT pid, backend_type = 'client backend' FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    found: dict[int, tuple[bool, float]] = {}
    for pid, client in rows:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found[int(pid)] = (bool(client), process_cpu(int(pid)))
    return found


def measure(
    server: Server,
    path: str,
    authorization: str,
    clients: int,
    seconds: float,
    *,
    url: str | None,
    database: str | None = None,
) -> Cell:
    """One cell; ``url`` given: also the database growth per request (the ledger's bytes);
    ``database`` a PostgreSQL URL: also its backends' CPU per request."""
    before = ledger_size(url) if url else 0
    backends = backends_cpu(database) if database else {}
    cpu = tree_cpu(server.process.pid)
    drive = wrk if WRK else threads
    found = drive(server.base + path, authorization, clients, seconds)
    cpu = tree_cpu(server.process.pid) - cpu
    requests = max(1, found["requests"])
    grown = (ledger_size(url) - before) / requests if url else None
    database_ms = background_ms = None
    if database:
        spent = {True: 0.0, False: 0.0}
        for pid, (client, used) in backends_cpu(database).items():
            spent[client] += used - backends.get(pid, (client, 0.0))[1]
        database_ms = (spent[True] + spent[False]) * 1000 / requests
        background_ms = spent[False] * 1000 / requests
    return Cell(
        found["rate"], found["p50"], found["p99"], found["requests"], found["errors"],
        cpu * 1000 / requests, grown, database_ms, background_ms,
    )  # fmt: skip


def database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    from sqlalchemy import make_url, text

    from koppelvlak.db import make_engine

    name = f"kv_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    run_cli("db", "upgrade", env=koppelvlak_env(url, workdir))
    return url


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        return
    from sqlalchemy import make_url, text

    from koppelvlak.db import make_engine

    admin = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" (FORCE)'))
    admin.dispose()


def providers(url: str) -> list[dict[str, Any]]:
    """The test suite's two providers on the demo board, made through the real services."""
    from sqlalchemy.exc import OperationalError
    from tests.support.provider_setup import add_providers

    from koppelvlak.db import make_engine, session_factory, unit_of_work

    engine = make_engine(url)
    try:
        for attempt in range(6):  # seen after a 50,000-student demo: "database is locked"
            try:
                with unit_of_work(session_factory(engine)) as session:
                    return add_providers(session)
            except OperationalError as error:
                print(f"adding the providers, attempt {attempt + 1}: {error.orig}", flush=True)
                time.sleep(15)
        raise SystemExit("could not add the providers")
    finally:
        engine.dispose()


def build(kind: str, students: int, workdir: Path, **extra: str) -> tuple[str, dict[str, str]]:
    """A database with the demo board, and the environment to serve it."""
    url = database(kind, workdir)
    env = koppelvlak_env(
        url,
        workdir,
        KOPPELVLAK_RATE_LIMIT="100000000/minute",
        KOPPELVLAK_LOG_LEVEL="warning",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    demo = run_cli("demo", "--students", str(students), "--json", env=env, timeout=3600)
    if demo.returncode != 0:
        raise SystemExit(demo.stderr)
    if kind == "sqlite":  # fold the demo's WAL in now, not in the first writer's busy timeout
        with sqlite3.connect(workdir / "bench.db", timeout=600) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url, env


def bench_database(kind: str, options: argparse.Namespace) -> dict[tuple[str, int], list[Cell]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"kv-bench-api-{kind}-"))
    static_file = workdir / "users-page.json"
    url, env = build(kind, options.students, workdir, KOPPELVLAK_BENCH_STATIC=str(static_file))
    provider = max(providers(url), key=lambda p: len(p["dataset"]["attributes"]))
    ledger = start(env, options.workers, workdir, "ledger")
    bare = start({**env, "KOPPELVLAK_BENCH_LEDGER": "0"}, options.workers, workdir, "bare")
    try:
        authorization = f"Bearer {token(ledger.base, provider)}"
        page = httpx.get(  # the first read builds the kept release
            ledger.base + USERS, headers={"Authorization": authorization}, timeout=600
        )
        page.raise_for_status()
        static_file.write_bytes(page.content)
        print(f"{kind}: page of {len(page.content)} bytes, {page.headers['X-Total-Count']} users")
        cells = {
            "api+ledger": (ledger, USERS, url),
            "api-no-ledger": (bare, USERS, None),
            "static": (ledger, "/bench/static", None),
        }
        for server, path, _ in cells.values():  # warm-up: every worker, every path
            measure(server, path, authorization, 8, 2, url=None)
        results: dict[tuple[str, int], list[Cell]] = {}
        for run in range(options.runs):
            for clients in (1, 8):
                for name, (server, path, sized) in cells.items():
                    cell = measure(
                        server, path, authorization, clients, options.seconds, url=sized,
                        database=url if kind == "postgresql" else None,
                    )  # fmt: skip
                    results.setdefault((name, clients), []).append(cell)
                    print(f"  run {run + 1} {name} x{clients}: {cell}", flush=True)
        return results
    finally:
        ledger.stop()
        bare.stop()
        drop(url)
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def median(cells: list[Cell], attribute: str) -> float:
    return statistics.median(float(getattr(c, attribute)) for c in cells)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(kind: str, results: dict[tuple[str, int], list[Cell]]) -> None:
    print(f"\n### {kind}\n")
    print(
        "| target | clients | req/s | p50 ms | p99 ms | server CPU ms/req "
        "| PostgreSQL CPU ms/req (of it background) | errors |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, clients), cells in sorted(results.items(), key=lambda x: (x[0][1], x[0][0])):
        backends = [c.database_cpu_ms for c in cells if c.database_cpu_ms is not None]
        background = [c.background_cpu_ms for c in cells if c.background_cpu_ms is not None]
        database = (
            f"{statistics.median(backends):.1f} ({statistics.median(background):.1f})"
            if backends and background
            else "—"
        )
        print(
            f"| {name} | {clients} | {median(cells, 'rate'):.0f} | {median(cells, 'p50'):.1f} "
            f"| {median(cells, 'p99'):.1f} | {median(cells, 'cpu_ms'):.1f} | {database} "
            f"| {sum(c.errors for c in cells)} |"
        )
    print()
    for clients in (1, 8):
        api = median(results[("api+ledger", clients)], "rate")
        static = median(results[("static", clients)], "rate")
        bare = median(results[("api-no-ledger", clients)], "rate")
        cells = results[("api+ledger", clients)]
        grown = sum((c.ledger_bytes or 0) * c.requests for c in cells) / sum(
            c.requests for c in cells
        )
        overhead = (bare - api) / bare
        print(
            f"- {clients} client(s): {api / static:.1%} of static ({verdict(api / static >= 0.4)}"
            f", ≥ 40 %); ledger overhead {overhead:.1%} ({verdict(overhead <= 0.10)}, ≤ 10 %); "
            f"ledger {grown:,.0f} bytes per page ({verdict(grown <= 4096)}, ≤ 4 kB)"
            + (f"; {api:.0f} req/s ({verdict(api >= 450)}, ≥ 450)" if clients == 8 else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()
    if WRK is None:
        print(
            "wrk is not installed (Debian: apt-get install wrk): falling back to Python threads, "
            "which share the cores with the server and understate its throughput",
            file=sys.stderr,
        )
    every = {kind: bench_database(kind, options) for kind in options.databases.split(",")}
    print(
        f"\n{options.students} students, serve --workers {options.workers}, "
        f"median of {options.runs} runs x {options.seconds:g} s, "
        f"load generator {'wrk' if WRK else 'Python threads'}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for kind, results in every.items():
        report(kind, results)


if __name__ == "__main__":
    main()
