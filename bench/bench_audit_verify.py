"""Benchmark: ``koppelvlak audit verify`` over a ledger of a million entries.

Builds a fresh database (SQLite file and/or PostgreSQL database), fills one board's chain with
``--entries`` entries of ``--people`` people each by bulk inserts (hashes computed with the same
functions ``audit.service.record`` uses), then times the real CLI several times and prints the
median. Target (DESIGN.md): 1,000,000 entries in at most 10 s.

    .venv/bin/python bench/bench_audit_verify.py --entries 1000000 --people 1 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from sqlalchemy import Engine, insert, make_url, text

from koppelvlak.audit import ledger
from koppelvlak.audit.models import ChainHead, Entry, Payload, Subject
from koppelvlak.audit.sealing import seal
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.db import make_engine, upgrade
from koppelvlak.roster.models import Board

POSTGRES_URL = os.environ.get(
    "KOPPELVLAK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 10_000
ATTRIBUTES = frozenset(
    {"student.given_name", "student.family_name", "student.email", "student.year_group"}
)


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "kv_bench_audit" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "kv_bench_audit"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database="kv_bench_audit").render_as_string(False)


def _drop_postgres() -> None:
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "kv_bench_audit" WITH (FORCE)'))
    admin.dispose()


def _batches(
    board_id: uuid.UUID, entries: int, people: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], str]]:
    """Rows exactly as ``record`` writes them (same ``seal``), ``BATCH`` entries at a time."""
    previous = ledger.GENESIS
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    providers = [uuid.uuid4() for _ in range(20)]
    connections = [uuid.uuid4() for _ in range(40)]
    population = [uuid.uuid4() for _ in range(5_000)]
    entry_rows: list[dict[str, Any]] = []
    payload_rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
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
        sealed = seal(
            disclosure,
            entry_id=uuid.uuid4(),
            sequence=sequence,
            previous_hash=previous,
            recorded_at=start + timedelta(milliseconds=250 * sequence),
        )
        previous = sealed.entry_hash
        entry_rows.append(sealed.entry)
        payload_rows.append(sealed.payload)
        subject_rows.extend(sealed.subjects)
        if len(entry_rows) == BATCH or sequence == entries:
            yield entry_rows, payload_rows, subject_rows, previous
            entry_rows, payload_rows, subject_rows = [], [], []


def fill(engine: Engine, entries: int, people: int) -> None:
    board_id = uuid.uuid4()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Board).values(
                id=board_id, code="BENCH", name="Benchmark", created_at=now, updated_at=now
            )
        )
    done, last_hash = 0, ledger.GENESIS
    for entry_rows, payload_rows, subject_rows, batch_hash in _batches(board_id, entries, people):
        last_hash = batch_hash
        with engine.begin() as connection:
            connection.execute(insert(Entry), entry_rows)
            connection.execute(insert(Payload), payload_rows)
            if subject_rows:
                connection.execute(insert(Subject), subject_rows)
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


def time_verify(url: str, workdir: Path, runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
    env.update(KOPPELVLAK_DATABASE_URL=url, KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"))
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "koppelvlak.cli.main", "audit", "verify"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        timings.append(time.perf_counter() - started)
        if result.returncode != 0 or not result.stdout.startswith("ledger intact"):
            raise SystemExit(f"verify failed: {result.stdout}{result.stderr}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1, help="people per entry")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.db == "both" else [arguments.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="kv-bench-audit-") as folder:
        workdir = Path(folder)
        for kind in kinds:
            url = _database(kind, workdir)
            engine = make_engine(url)
            upgrade(engine)
            print(f"{kind}: filling {arguments.entries:,} entries", file=sys.stderr)
            started = time.perf_counter()
            fill(engine, arguments.entries, arguments.people)
            fill_seconds = time.perf_counter() - started
            engine.dispose()
            timings = time_verify(url, workdir, arguments.runs)
            median = statistics.median(timings)
            results.append(
                {
                    "database": kind,
                    "entries": arguments.entries,
                    "people_per_entry": arguments.people,
                    "fill_s": round(fill_seconds, 1),
                    "verify_runs_s": [round(t, 2) for t in timings],
                    "verify_median_s": round(median, 2),
                    "entries_per_s": round(arguments.entries / median),
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
            if kind == "postgresql":
                _drop_postgres()
    print(
        json.dumps(
            {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
