"""The kept release: a page of a 50,000-student board against one of a 2,000-student school, and
the time to keep the release up to date after a 1 % change import of the board.

    .venv/bin/python -m bench.bench_kept pages --runs 3 --seconds 10
    .venv/bin/python -m bench.bench_kept refresh --runs 3 [--keep DIR]
    .venv/bin/python -m bench.bench_kept calls --database DIR/pristine.db --runs 15

``pages``: two SQLite databases with the demo board, ``--students 3334`` (its primary school has
2,000 students) and ``--students 50000`` (30,000 in the primary school), the test suite's two
providers on each (``Leesapp``: one connection, the primary school; ``Toetsleverancier``: two,
both schools), one real ``koppelvlak serve --workers 2`` per database (``bench/bench_app.py``,
ledger on). wrk with 8 clients on ``users?limit=100`` at offset 0 and at the middle offset.

``refresh``: the 50,000-student board with both providers, exported as UWLR (one file per school,
``bench/export_uwlr.py``); 1 % of the students get another given name and another class group;
each run imports the changed files into a fresh copy of the database with the real
``koppelvlak import uwlr`` (which refreshes the touched kept releases in its transaction), timing
the whole command and, inside it, ``release.kept.settle`` (wrapped by this bench, in the child
process only); then ``koppelvlak release refresh`` (the scheduled refresh of every connection)
is timed on its own, and once more (nothing due). ``--keep DIR`` builds the board into DIR once
and reuses it (after ``db upgrade``) on later runs, so old and new code can be run in turns.

``calls``: the CPU cost of one page read (``pages.collection``) in this process, without the
server and the ledger, for a loaded machine where request rates say little.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_api import build, measure, providers, start, token  # noqa: E402

USERS = "/ims/oneroster/rostering/v1p2/users?limit=100&offset={offset}"
LG = "{http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens}"


def pages(options: argparse.Namespace) -> None:
    rows = []
    for students in map(int, options.boards.split(",")):
        workdir = Path(tempfile.mkdtemp(prefix=f"kv-bench-kept-{students}-"))
        url, env = build("sqlite", students, workdir)
        server = start(env, 2, workdir, "ledger")
        try:
            for provider in providers(url):
                authorization = f"Bearer {token(server.base, provider)}"
                first = httpx.get(
                    server.base + USERS.format(offset=0),
                    headers={"Authorization": authorization},
                    timeout=600,
                )
                first.raise_for_status()
                total = int(first.headers["X-Total-Count"])
                for offset in (0, (total // 200) * 100):
                    path = USERS.format(offset=offset)
                    measure(server, path, authorization, 8, 2, url=None)  # warm-up
                    cells = [
                        measure(server, path, authorization, 8, options.seconds, url=None)
                        for _ in range(options.runs)
                    ]
                    row = {
                        "students": students,
                        "provider": provider["name"],
                        "connections": len(provider["schools"]),
                        "users": total,
                        "offset": offset,
                        "rate": statistics.median(c.rate for c in cells),
                        "p50": statistics.median(c.p50 for c in cells),
                        "p99": statistics.median(c.p99 for c in cells),
                        "cpu_ms": statistics.median(c.cpu_ms for c in cells),
                        "errors": sum(c.errors for c in cells),
                    }
                    print(row, flush=True)
                    rows.append(row)
        finally:
            server.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nmedian of {options.runs} runs x {options.seconds:g} s, 8 clients, SQLite, workers 2")
    print("\n| board students | provider (connections) | users | offset | req/s | p50 ms | p99 ms "
          "| server CPU ms/req | errors |")  # fmt: skip
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['students']:,} | {r['provider']} ({r['connections']}) | {r['users']:,} "
            f"| {r['offset']:,} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} "
            f"| {r['cpu_ms']:.1f} | {r['errors']} |"
        )


def calls(options: argparse.Namespace) -> None:
    """CPU ms of one ``pages.collection`` call per provider and offset, in this process.

    The server bench measures whole requests (with the ledger) and needs quiet cores; this reads
    the same pages of a kept database directly (``--database``, e.g. a ``refresh --keep``
    directory's ``pristine.db``), median of ``--runs`` calls after one warm-up.
    """
    import uuid

    from sqlalchemy import text

    from koppelvlak.api.oneroster.collections import ENDPOINTS
    from koppelvlak.api.oneroster.pages import collection
    from koppelvlak.api.oneroster.params import parse_collection
    from koppelvlak.db import make_engine, session_factory
    from koppelvlak.release import kept_reads

    users = next(e for e in ENDPOINTS if e.path == "/users")
    allowed = users.records.fields | frozenset(users.records.aliases)
    engine = make_engine(f"sqlite:///{options.database}")
    with session_factory(engine)() as session:
        for name in ("Leesapp", "Toetsleverancier"):
            ids = [
                uuid.UUID(str(r[0]))
                for r in session.execute(
                    text(
                        "SELECT k.connection_id FROM kept_release k JOIN connection c "
                        "ON c.id = k.connection_id JOIN provider p ON p.id = c.provider_id "
                        "WHERE p.name LIKE :name"
                    ),
                    {"name": name + "%"},
                )
            ]
            heads = kept_reads.heads(session, ids)
            first = parse_collection({"limit": "100"}, allowed)
            total = collection(session, heads, users, {}, first).total
            for offset in (0, (total // 200) * 100):
                query = parse_collection({"limit": "100", "offset": str(offset)}, allowed)
                collection(session, heads, users, {}, query)
                spent = []
                for _ in range(options.runs):
                    began = time.process_time()
                    collection(session, heads, users, {}, query)
                    spent.append((time.process_time() - began) * 1000)
                print(f"| {name} ({len(ids)}) | {total:,} | {offset:,} "
                      f"| {statistics.median(spent):.2f} |")  # fmt: skip
    engine.dispose()


def change(path: Path, share: float) -> int:
    """Give ``share`` of the file's students another given name and another class group."""
    from lxml import etree

    tree = etree.parse(str(path))
    listed = tree.find(f".//{LG}groepen")
    classes = [g.get("key") for g in listed.iter(f"{LG}groep")] if listed is not None else []
    students = list(tree.iter(f"{LG}leerling"))
    step = round(1 / share)
    changed = 0
    for number, student in enumerate(students):
        if number % step:
            continue
        name = student.find(f"{LG}roepnaam")
        if name is not None and name.text:
            name.text = name.text[:40] + "je"
        group = student.find(f"{LG}groep")
        if group is not None and len(classes) > 1:
            index = classes.index(group.get("key"))
            group.set("key", str(classes[(index + 1) % len(classes)]))
        changed += 1
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return changed


def timed(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a child; its wall seconds, CPU seconds and the JSON line it printed (if any)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [x for x in done.stderr.splitlines() if x.startswith('{"settle')]
    return {"wall": wall, "cpu": cpu, **(json.loads(lines[-1]) if lines else {})}


def _board(options: argparse.Namespace, cli: list[str]) -> dict[str, Any]:
    """The changed board: built (and its kept releases) into a folder, or reused from it."""
    from sqlalchemy import select

    from bench.export_uwlr import export_uwlr
    from koppelvlak.db import make_engine, session_factory
    from koppelvlak.roster.models import Board

    workdir = options.keep or Path(tempfile.mkdtemp(prefix="kv-bench-kept-refresh-"))
    saved = workdir / "bench.json"
    if saved.exists():  # --keep: the board built by an earlier run, changed files and all
        board: dict[str, Any] = json.loads(saved.read_text())
        upgrade = timed([*cli, "db", "upgrade"], board["env"])  # the code under test's schema
        print(f"reusing {workdir} (db upgrade {upgrade['wall']:.1f} s)", flush=True)
        return {**board, "workdir": str(workdir)}
    workdir.mkdir(parents=True, exist_ok=True)
    url, env = build("sqlite", options.students, workdir)
    providers(url)
    built = timed([*cli, "release", "refresh"], env)  # builds every kept release
    engine = make_engine(url)
    with session_factory(engine)() as session:
        found = session.scalars(select(Board)).one()
        files = export_uwlr(session, found.id, workdir / "uwlr")
        code = found.code
    engine.dispose()
    changed = sum(change(path, options.share) for path in files)
    with sqlite3.connect(url.split("///", 1)[1]) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(url.split("///", 1)[1], workdir / "pristine.db")
    board = {"url": url, "env": env, "code": code, "changed": changed, "built": built,
             "files": [str(f) for f in files]}  # fmt: skip
    saved.write_text(json.dumps(board))
    return {**board, "workdir": str(workdir)}


def refresh(options: argparse.Namespace) -> None:
    cli = [sys.executable, "-m", "koppelvlak.cli.main"]
    board = _board(options, cli)
    env, code, changed, built = board["env"], board["code"], board["changed"], board["built"]
    files = [Path(f) for f in board["files"]]
    workdir = Path(board["workdir"])
    database = Path(board["url"].split("///", 1)[1])
    pristine = workdir / "pristine.db"
    imports, refreshes, again = [], [], []
    for _ in range(options.runs):
        for suffix in ("-wal", "-shm"):
            Path(str(database) + suffix).unlink(missing_ok=True)
        shutil.copyfile(pristine, database)
        run = {"wall": 0.0, "cpu": 0.0, "settle_wall": 0.0, "settle_cpu": 0.0}
        for path in files:
            one = timed(
                [sys.executable, "-m", "bench.bench_kept", "child", "import", "uwlr", str(path),
                 "--board", code], env,
            )  # fmt: skip
            for key in run:
                run[key] += one.get(key, 0.0)
        imports.append(run)
        refreshes.append(timed([*cli, "release", "refresh"], env))
        again.append(timed([*cli, "release", "refresh"], env))
        print(f"  import {run}; refresh {refreshes[-1]}; again {again[-1]}", flush=True)
    if options.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(float(r[key]) for r in rows))

    print(
        f"\n{options.students} students, {changed} changed ({options.share:.0%}), SQLite, "
        f"{len(files)} UWLR files, median of {options.runs} runs; first build of every kept "
        f"release: {built['wall']:.1f} s wall ({built['cpu']:.1f} s CPU)\n"
    )
    print("| what | wall s | CPU s |")
    print("| --- | ---: | ---: |")
    print(f"| `koppelvlak import uwlr`, both files | {med(imports, 'wall'):.2f} "
          f"| {med(imports, 'cpu'):.2f} |")  # fmt: skip
    print(f"| of which `kept.settle` (the kept releases kept up to date) "
          f"| {med(imports, 'settle_wall'):.2f} | {med(imports, 'settle_cpu'):.2f} |")  # fmt: skip
    print(f"| `koppelvlak release refresh` afterwards (every connection) "
          f"| {med(refreshes, 'wall'):.2f} | {med(refreshes, 'cpu'):.2f} |")  # fmt: skip
    print(f"| `koppelvlak release refresh` once more (nothing due) "
          f"| {med(again, 'wall'):.2f} | {med(again, 'cpu'):.2f} |")  # fmt: skip
    settle = med(imports, "settle_wall")
    print(f"\nkeeping the release up to date: {settle:.2f} s "
          f"({'met' if settle <= 1 else 'NOT met'}, ≤ 1 s)")  # fmt: skip


def child(arguments: list[str]) -> None:
    """The real CLI with ``kept.settle`` timed; the figure goes to stderr as one JSON line."""
    from koppelvlak.cli.main import app
    from koppelvlak.release import kept

    real = kept.settle
    spent = {"settle_wall": 0.0, "settle_cpu": 0.0}

    def settle(*args: Any, **kwargs: Any) -> Any:
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent["settle_wall"] += time.perf_counter() - began
            spent["settle_cpu"] += time.process_time() - cpu

    kept.settle = settle
    try:
        app(arguments, standalone_mode=False)
    finally:
        print(json.dumps({"settle": True, **spent}), file=sys.stderr)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["pages", "refresh", "calls"])
    parser.add_argument("--keep", type=Path, help="refresh: build into (or reuse) this folder")
    parser.add_argument("--database", type=Path, help="calls: a SQLite file with kept releases")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--students", type=int, default=50000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--boards", default="3334,50000", help="demo board sizes for pages")
    options = parser.parse_args()
    {"pages": pages, "refresh": refresh, "calls": calls}[options.what](options)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
