"""Benchmark: what one ledger append costs, in bytes and in time, on SQLite and PostgreSQL.

Fresh database per kind. One board with a population of people; a warm-up gives every person
their ledger key (the key table grows once per person, not per append, and is reported on its
own). Then ``--appends`` calls of the real ``audit.service.record``, one committed transaction
each, each naming ``--people`` people drawn from the population; or, with ``--clients`` N > 1,
N threads appending as the interfaces do (``prepare`` in a read, then ``commit`` through the
process's group commit, ADR 0032), reporting how many appends shared a transaction.
Reported: table + index growth of the ledger per append (SQLite: pages of the file in use;
PostgreSQL: ``pg_total_relation_size`` of the ledger tables, TOAST included, before and after
the GIN index's pending list is merged), and the median wall and CPU time per append.
Target (issue 10): at most 4 kB per page of 100.

    .venv/bin/python bench/bench_ledger_append.py --appends 1000 --people 100 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.audit import group_commit, service
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.db import make_engine, session_factory, unit_of_work, upgrade
from koppelvlak.roster.models import Board

POSTGRES_URL = os.environ.get(
    "KOPPELVLAK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LEDGER_TABLES = ("audit_entry", "audit_payload", "audit_chain")
KEY_TABLE = "audit_person_key"
ATTRIBUTES = frozenset(
    {"student.given_name", "student.family_name", "student.email", "student.year_group"}
)


def _disclosure(board_id: uuid.UUID, people: frozenset[uuid.UUID], n: int) -> Disclosure:
    """A users page as the OneRoster interface records it."""
    return Disclosure(
        board_id=board_id,
        provider_id=uuid.UUID(int=1),
        connection_id=uuid.UUID(int=2),
        channel=Channel.ONEROSTER,
        endpoint="GET /ims/oneroster/rostering/v1p2/users",
        query=f"limit=100&offset={100 * (n % 20)}",
        attribute_ids=ATTRIBUTES,
        person_ids=people,
        response_digest=os.urandom(32).hex(),
    )


def _fresh(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "append.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = "kv_bench_ledger_append"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(False)


def _bytes(engine: Engine, tables: tuple[str, ...]) -> int:
    """Bytes the tables and their indexes occupy now."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return sum(
                int(connection.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar_one())
                for t in tables
            )
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # dbstat: the pages of each table and index (Python's SQLite is built with it).
        names = "', '".join(tables)
        query = (
            "SELECT sum(pgsize) FROM dbstat WHERE name IN "  # noqa: S608  (constant table names)
            f"(SELECT name FROM sqlite_master WHERE tbl_name IN ('{names}'))"
        )
        return int(connection.exec_driver_sql(query).scalar_one() or 0)


def _one_by_one(
    sessions: sessionmaker[Session], disclosures: list[Disclosure]
) -> tuple[list[float], list[float]]:
    """``record`` in its own committed transaction per append, as a script would call it."""
    walls, cpus = [], []
    for disclosure in disclosures:
        started, cpu = time.perf_counter(), time.process_time()
        with service.ledger_writes(), unit_of_work(sessions) as session:
            service.record(session, disclosure)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def _grouped(
    engine: Engine,
    sessions: sessionmaker[Session],
    disclosures: list[Disclosure],
    clients: int,
    board_id: uuid.UUID,
) -> tuple[list[float], list[float], int]:
    """As the interfaces append: ``clients`` threads each prepare in a read, then ``commit``
    through the process's group commit (ADR 0032). CPU is the whole process's per append."""
    appender = group_commit.for_engine(engine)
    first = appender.batches(board_id if engine.dialect.name == "postgresql" else None)
    walls: list[float] = []
    todo = iter(disclosures)
    guard = threading.Lock()

    def client() -> None:
        while True:
            with guard:
                disclosure = next(todo, None)
            if disclosure is None:
                return
            started = time.perf_counter()
            with unit_of_work(sessions) as session:
                prepared = service.prepare(session, [disclosure])
            service.commit(engine, prepared)
            with guard:
                walls.append(time.perf_counter() - started)

    cpu = time.process_time()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_append = (time.process_time() - cpu) / len(disclosures)
    batches = appender.batches(board_id if engine.dialect.name == "postgresql" else None) - first
    return walls, [per_append], batches


def run(
    kind: str, workdir: Path, appends: int, people: int, population: int, *, clients: int = 1
) -> dict[str, object]:
    url = _fresh(kind, workdir)
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    board = Board(id=uuid.uuid4(), code="BENCH", name="Benchmark")
    with unit_of_work(sessions) as session:
        session.add(board)
    everyone = [uuid.uuid4() for _ in range(population)]
    rng = random.Random(7)
    for start in range(0, population, people):  # warm-up: every person gets a key
        with unit_of_work(sessions) as session:
            service.record(
                session,
                _disclosure(board.id, frozenset(everyone[start : start + people]), start),
            )
    disclosures = [
        _disclosure(board.id, frozenset(rng.sample(everyone, people)), n) for n in range(appends)
    ]
    before = _bytes(engine, LEDGER_TABLES)
    keys = _bytes(engine, (KEY_TABLE,))
    began = time.perf_counter()
    if clients == 1:
        walls, cpus = _one_by_one(sessions, disclosures)
        batches = appends
    else:
        walls, cpus, batches = _grouped(engine, sessions, disclosures, clients, board.id)
    elapsed = time.perf_counter() - began
    grown = _bytes(engine, LEDGER_TABLES) - before
    merged = None
    if kind == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT gin_clean_pending_list('ix_audit_payload_people')"))
        merged = (_bytes(engine, LEDGER_TABLES) - before) / appends
    person = disclosures[-1].person_ids
    lookups = []
    for person_id in list(person)[:20]:
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            service.disclosures_for_person(session, board.id, person_id)
        lookups.append(time.perf_counter() - started)
    engine.dispose()
    return {
        "database": kind,
        "appends": appends,
        "people_per_append": people,
        "population": population,
        "ledger_bytes_per_append": round(grown / appends),
        "ledger_bytes_per_append_after_gin_merge": None if merged is None else round(merged),
        "person_key_bytes_per_person": round(keys / population),
        "clients": clients,
        "appends_per_second": round(appends / elapsed),
        "appends_per_transaction": round(appends / max(1, batches), 2),
        "append_wall_median_us": round(statistics.median(walls) * 1e6),
        "append_cpu_median_us": round(statistics.median(cpus) * 1e6),
        "person_view_median_ms": round(statistics.median(lookups) * 1e3, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=1_000)
    parser.add_argument("--people", type=int, default=100, help="people per append")
    parser.add_argument("--population", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--clients", type=int, default=1, help="threads appending at once (group commit)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kv-bench-append"
    )
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgresql"] if arguments.db == "both" else [arguments.db]
    results = []
    for kind in kinds:
        for _ in range(arguments.runs):
            results.append(
                run(
                    kind,
                    arguments.workdir,
                    arguments.appends,
                    arguments.people,
                    arguments.population,
                    clients=arguments.clients,
                )
            )
            print(json.dumps(results[-1]), file=sys.stderr)
    print(
        json.dumps(
            {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
