"""Load run: 8 clients for 60 s mixing reads and writes on `serve --workers 2`, both databases.

    .venv/bin/python bench/bench_load.py --database sqlite
    .venv/bin/python bench/bench_load.py --database postgresql
    .venv/bin/python bench/bench_load.py --database sqlite --clients 8 --seconds 60 --students 2000

Builds the demo board, adds a OneRoster provider (one connection) and a UWLR provider with a
key (tests/support/load.py), starts a real `koppelvlak serve --workers 2` and runs the clients:
each cycles through a OneRoster `users` page of 100 (personal data), a `classes` page (none),
a UWLR HaalLeerlinggegevens answer and a BrengLeerresultaten push of four results (three new
keys and one key every push re-sends). Afterwards it counts in the database: every
acknowledged result must be stored and the ledger must hold exactly one entry per response that
carried personal data (matched by digest). It prints a Markdown table and exits non-zero when
any request failed or a count does not match.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.load import KINDS, Site, Stored, Tally, drive, prepare, stored  # noqa: E402
from tests.support.server import koppelvlak_env, run_cli, running_server  # noqa: E402
from tests.support.uwlr import UWLR_DIR  # noqa: E402

POSTGRES = os.environ.get(
    "KOPPELVLAK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def database(kind: str, workdir: Path) -> tuple[str, str | None]:
    """A new empty database: (URL, PostgreSQL database name to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}", None
    from sqlalchemy import make_url, text

    from koppelvlak.db import make_engine

    name = f"kv_load_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False), name


def drop(name: str) -> None:
    from sqlalchemy import text

    from koppelvlak.db import make_engine

    admin = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def children_cpu() -> float:
    """User + system CPU seconds of every child process that has ended (the server tree)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(kind: str, options: argparse.Namespace, tally: Tally, after: Stored, cpu: float) -> bool:
    print(
        f"\n{kind}, serve --workers {options.workers}, {options.clients} clients, "
        f"{options.seconds:g} s, demo board of {options.students} students, "
        f"users pages of {options.page}; server CPU {cpu:.1f} s (user+sys), "
        f"{cpu * 1000 / max(1, sum(tally.ok.values())):.0f} ms per answered request; "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| request | answered | failed | req/s | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in KINDS:
        times = sorted(tally.latencies.get(name, [0.0]))
        failed = sum(1 for error in tally.errors if error.startswith(f"{name}:"))
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"| {name} | {tally.ok[name]} | {failed} | {tally.ok[name] / options.seconds:.1f} "
            f"| {statistics.median(times) * 1000:.0f} | {p95 * 1000:.0f} |"
        )
    responses = sum(tally.personal_digests.values())
    entries = sum(after.ledger_digests.values())
    results_ok = after.result_keys == tally.acknowledged
    ledger_ok = after.ledger_digests == tally.personal_digests
    print(
        f"\n| check | figure | holds |\n| --- | --- | --- |\n"
        f"| errors | {len(tally.errors)} | {'yes' if not tally.errors else 'NO'} |\n"
        f"| acknowledged result keys stored | {len(tally.acknowledged)} acknowledged, "
        f"{len(after.result_keys)} stored | {'yes' if results_ok else 'NO'} |\n"
        f"| ledger entries = responses with personal data (by digest) | {entries} entries, "
        f"{responses} responses | {'yes' if ledger_ok else 'NO'} |"
    )
    for error in tally.errors[:5]:
        print(f"\nfirst errors: {error[:300]}")
    return not tally.errors and results_ok and ledger_ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--page", type=int, default=100)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kv-load-"))
    url, name = database(options.database, workdir)
    try:
        env = koppelvlak_env(
            url,
            workdir,
            KOPPELVLAK_UWLR_DIR=str(UWLR_DIR),
            KOPPELVLAK_RATE_LIMIT="1000000/minute",
            KOPPELVLAK_LOG_LEVEL="warning",
        )
        migrated = run_cli("db", "upgrade", env=env, timeout=300)
        if migrated.returncode != 0:
            raise SystemExit(migrated.stderr)
        made = run_cli("demo", "--students", str(options.students), "--json", env=env, timeout=900)
        if made.returncode != 0:
            raise SystemExit(made.stderr)
        school_year = json.loads(made.stdout)["board"]["school_year"]
        client_id, secret, connection_id = prepare(url)
        before = children_cpu()
        with running_server(env, workers=options.workers, timeout=120) as base:
            site = Site(base, url, client_id, secret, school_year, connection_id)
            tally = drive(site, options.clients, seconds=options.seconds, page=options.page)
        cpu = children_cpu() - before
        ok = report(options.database, options, tally, stored(site), cpu)
    finally:
        if name is not None:
            drop(name)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
