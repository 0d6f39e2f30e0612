"""Import benchmark: full import and no-change re-sync of a large board, SQLite and PostgreSQL.

    python -m bench.bench_import --students 50000 --runs 5 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

A demo board is built once and exported by ``bench/generate.py`` (UWLR XML per school and a
OneRoster CSV package). Each measurement runs in a fresh child process against a freshly
migrated database: the child times parse + apply (one transaction per school file) and reports
its own peak resident memory (``ru_maxrss``), so interpreter start-up and migrations are not
counted. The child's units of work are the CLI's (``Runtime``): the kept releases of the
connections an import touches are settled before it commits, and the roster's statistics are
refreshed afterwards, as ``koppelvlak import`` does (``analyze`` CPU, not part of ``cpu``).
With ``--connections`` the board's two schools and the demo's providers, connected to them,
exist before the full import (so it is no longer a school's first import, and its settle
refreshes whole schools); without, the database holds nothing but the schema. Figures are
medians over the runs; results go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import make_url, text

from koppelvlak.db import make_engine, session_factory, unit_of_work, upgrade

if TYPE_CHECKING:
    from koppelvlak.runtime import Runtime


def _runtime(url: str) -> Runtime:
    from koppelvlak.config import Settings
    from koppelvlak.runtime import Runtime

    keys = Path(tempfile.gettempdir()) / "kv-bench-keys.json"
    return Runtime.from_settings(Settings(database_url=url, key_file=keys))


def connect_schools(url: str, board: str) -> None:
    """The board, its two schools (no one in them yet) and the demo providers connected."""
    from koppelvlak.connections.demo import create_demo_providers
    from koppelvlak.kit.clock import utcnow
    from koppelvlak.roster.models import Board, School, Sector

    runtime = _runtime(url)
    now = utcnow()
    with runtime.unit_of_work(write=True) as session:
        board_row = Board(code=board, name=board, created_at=now, updated_at=now)
        session.add(board_row)
        session.flush()
        for brin, sector in (("99XX", Sector.PO), ("99YY", Sector.VO)):
            session.add(
                School(
                    board_id=board_row.id,
                    brin=brin,
                    location_code="00",
                    name=f"{brin}-00",
                    sector=sector,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        create_demo_providers(session, board_row.id, seed=7, at=now)
    runtime.engine.dispose()


def child(url: str, kind: str, paths: list[str], board: str) -> None:
    """Import the files into the database at ``url``; print seconds and peak MB as JSON."""
    from koppelvlak.db import refresh_statistics
    from koppelvlak.kit.clock import today, utcnow
    from koppelvlak.roster.importers.oneroster_map import parse_oneroster
    from koppelvlak.roster.importers.uwlr import file_fingerprint, parse_uwlr
    from koppelvlak.roster.models import BULK_LOADED_TABLES
    from koppelvlak.roster.service import apply_snapshot, skip_unchanged

    runtime = _runtime(url)
    engine = runtime.engine
    runtime.secrets  # noqa: B018  (the key file is read before the clock starts)
    with engine.connect():
        pass  # open the pool before the clock starts
    started = time.perf_counter()
    cpu = time.process_time()
    changed = 0
    parse_cpu = 0.0
    skipped = 0
    for path in paths:
        # As ``koppelvlak import uwlr`` does: a file the school's last sync read is not parsed.
        fingerprint = file_fingerprint(Path(path)) if kind == "uwlr" else None
        if fingerprint is not None:
            with runtime.unit_of_work(write=True) as session:
                unchanged = skip_unchanged(
                    session,
                    fingerprint=fingerprint,
                    board_code=board,
                    source_kind=kind,
                    source=path,
                    started_at=utcnow(),
                )
            if unchanged is not None:
                skipped += 1
                continue
        parse = parse_uwlr if kind == "uwlr" else parse_oneroster
        before = time.process_time()
        snapshot = parse(Path(path), today=today())
        parse_cpu += time.process_time() - before
        with runtime.unit_of_work(write=True) as session:
            report = apply_snapshot(session, snapshot, board_code=board, today=today())
        changed += sum(c["added"] + c["changed"] + c["removed"] for c in report.counts.values())
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    before = time.process_time()
    if changed:
        refresh_statistics(engine, BULK_LOADED_TABLES)
    analyze_cpu = time.process_time() - before
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"seconds": seconds, "cpu": cpu_seconds, "parse_cpu": parse_cpu}
    figures["analyze_cpu"] = analyze_cpu
    print(json.dumps({**figures, "peak_mb": peak_mb, "changes": changed, "skipped": skipped}))


def fresh_database(kind: str, workdir: Path, postgres: str | None) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        assert postgres is not None
        name = f"kv_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def drop_database(url: str, postgres: str | None) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)
        return
    assert postgres is not None
    admin = make_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = make_url(url).database
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(url: str, kind: str, paths: list[Path]) -> dict[str, float]:
    command = [
        sys.executable,
        "-m",
        "bench.bench_import",
        "child",
        "--url",
        url,
        "--kind",
        kind,
        "--board",
        "BENCH",
        *map(str, paths),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def build_inputs(students: int, workdir: Path) -> tuple[list[Path], Path]:
    from bench.export_oneroster import export_oneroster
    from bench.export_uwlr import export_uwlr
    from koppelvlak.kit.clock import today
    from koppelvlak.roster.demo import build_demo_board, school_year_of

    url = f"sqlite:///{workdir / 'source.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(session_factory(engine)) as session:
        summary = build_demo_board(
            session, students=students, seed=7, school_year=school_year_of(today())
        )
    with session_factory(engine)() as session:
        files = export_uwlr(session, summary.board_id, workdir / "uwlr")
        package = export_oneroster(session, summary.board_id, workdir / "oneroster")
    engine.dispose()
    return files, package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("child")
    run.add_argument("--url", required=True)
    run.add_argument("--kind", choices=["uwlr", "oneroster"], required=True)
    run.add_argument("--board", required=True)
    run.add_argument("paths", nargs="+")
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=None, help="admin URL of a PostgreSQL server")
    parser.add_argument(
        "--kinds", default="uwlr,oneroster", help="inputs to measure, comma-separated"
    )
    parser.add_argument(
        "--connections",
        action="store_true",
        help="create the schools and connect the demo providers before the full import",
    )
    parser.add_argument(
        "--inputs",
        type=Path,
        default=None,
        help="reuse files of an earlier bench.generate run (uwlr/, oneroster/)",
    )
    arguments = parser.parse_args()
    if arguments.command == "child":
        child(arguments.url, arguments.kind, arguments.paths, arguments.board)
        return
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as folder:
        workdir = Path(folder)
        if arguments.inputs is not None:
            files = sorted((arguments.inputs / "uwlr").glob("*.xml"))
            package = arguments.inputs / "oneroster"
        else:
            files, package = build_inputs(arguments.students, workdir)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"{arguments.students} students; UWLR {size_mb:.1f} MB in {len(files)} files; "
            f"{os.cpu_count()} CPUs; Python {platform.python_version()}",
            file=sys.stderr,
        )
        backends = ["sqlite"] + (["postgresql"] if arguments.postgres else [])
        print(
            "| database | input | full import s (CPU s; parse) | peak MB "
            "| re-sync s (CPU s; parse) | peak MB |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        inputs = {"uwlr": files, "oneroster": [package]}
        for kind in arguments.kinds.split(","):
            paths = inputs[kind]
            for backend in backends:
                full, again = [], []
                for _ in range(arguments.runs):
                    url = fresh_database(backend, workdir, arguments.postgres)
                    try:
                        if arguments.connections:
                            connect_schools(url, "BENCH")
                        full.append(measure(url, kind, paths))
                        again.append(measure(url, kind, paths))
                        print(backend, kind, full[-1], again[-1], file=sys.stderr, flush=True)
                        assert again[-1]["changes"] == 0, "a re-sync of the same files changed rows"
                        assert full[-1].get("skipped", 0) == 0, "a first import skipped a file"
                    finally:
                        drop_database(url, arguments.postgres)

                def med(rows: list[dict[str, float]], key: str) -> float:
                    return statistics.median(row[key] for row in rows)

                def cell(rows: list[dict[str, float]]) -> str:
                    return (
                        f"{med(rows, 'seconds'):.2f} ({med(rows, 'cpu'):.2f}; "
                        f"{med(rows, 'parse_cpu'):.2f}) | {med(rows, 'peak_mb'):.0f}"
                    )

                print(f"| {backend} | {kind} | {cell(full)} | {cell(again)} |", flush=True)


if __name__ == "__main__":
    main()
