"""Benchmark: ``koppelvlak audit verify`` over a ledger of a million entries.

Builds a fresh database (SQLite file and/or PostgreSQL database), fills one board's chain with
``--entries`` entries of ``--people`` people each by bulk inserts (hashes computed with the same
functions ``audit.service.record`` uses), then times the real CLI several times and prints the
median. Target (DESIGN.md): 1,000,000 entries in at most 10 s.

    .venv/bin/python bench/bench_audit_verify.py --entries 1000000 --people 1 --runs 5
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, make_url, select, text

from koppelvlak.audit import ledger, service
from koppelvlak.audit.models import ChainHead, Entry, Payload, PersonKey
from koppelvlak.audit.sealing import draft, seal
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.db import make_engine, session_factory, unit_of_work, upgrade
from koppelvlak.roster.models import Board

POSTGRES_URL = os.environ.get(
    "KOPPELVLAK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 10_000
ATTRIBUTES = frozenset(
    {"student.given_name", "student.family_name", "student.email", "student.year_group"}
)


def _database(kind: str, workdir: Path, name: str) -> tuple[str, bool]:
    """The URL of the benchmark database and whether it already holds a filled ledger."""
    if kind == "sqlite":
        path = workdir / f"{name}.db"
        url = f"sqlite:///{path}"
        return url, path.exists() and _filled(url)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url, bool(exists) and _filled(url)


def _filled(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT count(*) FROM audit_chain")).scalar())
    except Exception:
        return False
    finally:
        engine.dispose()


def _drop(kind: str, workdir: Path, name: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{workdir / name}.db{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _batches(
    board_id: uuid.UUID,
    entries: int,
    people: int,
    population: list[uuid.UUID],
    keys: dict[str, tuple[int, bytes]],
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], str]]:
    """Rows exactly as ``record`` writes them (same ``draft`` and ``seal``), in batches."""
    previous = ledger.GENESIS
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    providers = [uuid.uuid4() for _ in range(20)]
    connections = [uuid.uuid4() for _ in range(40)]
    entry_rows: list[dict[str, Any]] = []
    payload_rows: list[dict[str, Any]] = []
    for sequence in range(1, entries + 1):
        disclosure = Disclosure(
            board_id=board_id,
            provider_id=providers[sequence % len(providers)],
            connection_id=connections[sequence % len(connections)],
            channel=Channel.ONEROSTER,
            endpoint="GET /ims/oneroster/rostering/v1p2/users",
            query=f"limit=100&offset={100 * (sequence % 50)}",
            attribute_ids=ATTRIBUTES,
            person_ids=frozenset(
                population[(sequence * 7 + index) % len(population)] for index in range(people)
            ),
            response_digest=secrets.token_hex(32),
        )
        drafted = draft(disclosure, uuid.uuid4(), keys)
        sealed = seal(
            disclosure,
            drafted,
            sequence=sequence,
            previous_hash=previous,
            recorded_at=start + timedelta(milliseconds=250 * sequence),
        )
        previous = sealed.entry_hash
        header = sealed.header
        entry_rows.append(
            {
                "id": drafted.entry_id,
                "board_id": board_id,
                "sequence": sequence,
                "recorded_at": sealed.recorded_at,
                "provider_id": disclosure.provider_id,
                "connection_id": disclosure.connection_id,
                "channel": header.channel,
                "endpoint": header.endpoint,
                "response_digest": header.response_digest,
                "previous_hash": header.previous_hash,
                "payload_commitment": header.payload_commitment,
                "entry_hash": sealed.entry_hash,
            }
        )
        payload_rows.append(
            {
                "board_id": board_id,
                "sequence": sequence,
                "salt": drafted.salt,
                "query": disclosure.query,
                "attribute_ids": drafted.attribute_ids,
                "people": drafted.people,
            }
        )
        if len(entry_rows) == BATCH or sequence == entries:
            yield entry_rows, payload_rows, previous
            entry_rows, payload_rows = [], []


def fill(engine: Engine, entries: int, people: int) -> None:
    board_id = uuid.uuid4()
    now = datetime.now(UTC)
    population = [uuid.uuid4() for _ in range(5_000)]
    with engine.begin() as connection:
        connection.execute(
            insert(Board).values(
                id=board_id, code="BENCH", name="Benchmark", created_at=now, updated_at=now
            )
        )
        connection.execute(
            insert(PersonKey),
            [
                {"board_id": board_id, "person_id": person, "key": secrets.token_bytes(16)}
                for person in population
            ],
        )
        keys = {
            person.hex: (number, key)
            for number, person, key in connection.execute(
                select(PersonKey.number, PersonKey.person_id, PersonKey.key)
            )
        }
    done, last_hash = 0, ledger.GENESIS
    for entry_rows, payload_rows, batch_hash in _batches(
        board_id, entries, people, population, keys
    ):
        last_hash = batch_hash
        with engine.begin() as connection:
            connection.execute(insert(Entry), entry_rows)
            connection.execute(insert(Payload), payload_rows)
        done += len(entry_rows)
        print(f"\r  filled {done:,} / {entries:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with engine.begin() as connection:
        connection.execute(
            insert(ChainHead).values(
                board_id=board_id, last_sequence=entries, last_hash=last_hash, updated_at=now
            )
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))


def time_person_view(url: str, runs: int) -> float:
    """Median seconds of ``disclosures_for_person`` for one person of the filled board."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    timings = []
    with unit_of_work(sessions) as session:
        board_id, person_id = session.execute(
            select(PersonKey.board_id, PersonKey.person_id).limit(1)
        ).one()
    for _ in range(runs):
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            service.disclosures_for_person(session, board_id, person_id)
        timings.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(timings)


def _adopt_orphans() -> None:
    """Become the reaper of orphaned descendants (Linux), so their CPU counts in ours.

    The verify command's workers are forked by a fork server the command does not wait for;
    as a subreaper this process reaps it (and with it the workers' CPU) after each run.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while True:
            os.waitpid(-1, 0)


def _server_cpu(url: str) -> float | None:
    """CPU seconds of PostgreSQL's ended backends so far (the postmaster's reaped children).

    Counts every backend that ended, including other clients': on a shared machine an upper
    bound for the verify command's own backends.
    """
    if not url.startswith("postgresql"):
        return None
    engine = make_engine(url)
    with engine.connect() as connection:
        directory = connection.execute(text("SHOW data_directory")).scalar()
    engine.dispose()
    try:
        pid = Path(f"{directory}/postmaster.pid").read_text().split()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def time_verify(
    url: str, workdir: Path, runs: int, workers: int
) -> list[tuple[float, float, float | None]]:
    """(wall s, CPU s of the verify process and its workers, PostgreSQL backends' CPU s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
    env.update(KOPPELVLAK_DATABASE_URL=url, KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"))
    timings = []
    for _ in range(runs):
        server_before = _server_cpu(url)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "koppelvlak.cli.main",
                "audit",
                "verify",
                "--workers",
                str(workers),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        _reap()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_after = _server_cpu(url)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        server = (
            None if server_before is None or server_after is None else server_after - server_before
        )
        timings.append((wall, cpu, server))
        if result.returncode != 0 or not result.stdout.startswith("ledger intact"):
            raise SystemExit(f"verify failed: {result.stdout}{result.stderr}")
    return timings


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_in_process(url: str, runs: int) -> list[tuple[float, float | None]]:
    """(CPU s of this process, CPU s of its PostgreSQL backend) per ``verify(workers=1)``.

    The backend serves this walk only, so its ``/proc`` figures are exact (PostgreSQL on
    this machine); the whole-command runs can only bound the backends' CPU.
    """
    engine = make_engine(url)
    sessions = session_factory(engine)
    timings: list[tuple[float, float | None]] = []
    for _ in range(runs):
        with unit_of_work(sessions) as session:
            pid = (
                session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                if engine.dialect.name == "postgresql"
                else None
            )
            server = None if pid is None else _backend_cpu(pid)
            started = time.process_time()
            report = service.verify(session, workers=1)
            client = time.process_time() - started
            if pid is not None and server is not None:
                server = _backend_cpu(pid) - server
        if not report.ok:
            raise SystemExit(f"verify failed: {report}")
        timings.append((client, server))
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1, help="people per entry")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", default="1,2", help="worker counts to time, e.g. 1,2")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kv-bench-audit"
    )
    parser.add_argument("--drop", action="store_true", help="remove the databases afterwards")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="also time verify(workers=1) in this process, with the PostgreSQL backend's CPU",
    )
    arguments = parser.parse_args()
    _adopt_orphans()
    kinds = ["sqlite", "postgresql"] if arguments.db == "both" else [arguments.db]
    workdir = arguments.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"kv_bench_ledger_{arguments.entries}_{arguments.people}"  # the 0008 stored form
    results = []
    for kind in kinds:
        url, filled = _database(kind, workdir, name)
        fill_seconds = None
        if not filled:  # start afresh: a fill that was cut off leaves a board behind
            _drop(kind, workdir, name)
            url, _ = _database(kind, workdir, name)
            engine = make_engine(url)
            upgrade(engine)
            print(f"{kind}: filling {arguments.entries:,} entries", file=sys.stderr)
            started = time.perf_counter()
            fill(engine, arguments.entries, arguments.people)
            fill_seconds = round(time.perf_counter() - started, 1)
            engine.dispose()
        results.append(
            {
                "database": kind,
                "entries": arguments.entries,
                "person_view_median_s": round(time_person_view(url, arguments.runs), 3),
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr)
        if arguments.in_process:
            timings = time_in_process(url, arguments.runs)
            servers = [server for _, server in timings if server is not None]
            results.append(
                {
                    "database": kind,
                    "entries": arguments.entries,
                    "in_process_client_cpu_runs_s": [round(c, 2) for c, _ in timings],
                    "in_process_server_cpu_runs_s": [round(s, 2) for s in servers] or None,
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
        for workers in [int(w) for w in arguments.workers.split(",")]:
            timings = time_verify(url, workdir, arguments.runs, workers)
            median = statistics.median(wall for wall, _, _ in timings)
            servers = [server for _, _, server in timings if server is not None]
            results.append(
                {
                    "database": kind,
                    "entries": arguments.entries,
                    "people_per_entry": arguments.people,
                    "workers": workers,
                    "fill_s": fill_seconds,
                    "verify_runs_s": [round(wall, 2) for wall, _, _ in timings],
                    "verify_median_s": round(median, 2),
                    "client_cpu_runs_s": [round(cpu, 2) for _, cpu, _ in timings],
                    "client_cpu_median_s": round(statistics.median(c for _, c, _ in timings), 2),
                    "server_cpu_median_s": (
                        round(statistics.median(servers), 2) if servers else None
                    ),
                    "entries_per_s": round(arguments.entries / median),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
        if arguments.drop:
            _drop(kind, workdir, name)
    print(
        json.dumps(
            {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
