"""Provider API throughput: `users` pages of 100 vs a static response of the same bytes.

    .venv/bin/python bench/bench_api.py --database sqlite --students 2000 --runs 3
    .venv/bin/python bench/bench_api.py --database postgresql --students 2000 --runs 3

For each database it builds the demo board, starts two server processes on the same app
(one with the ledger, one with the ledger replaced by a no-op — the only difference), adds a
`/bench/static` route that answers the exact bytes of a `users` page, and drives each with 1 and
8 concurrent clients for a few seconds. It prints the median of the runs as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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


def serve(port: int, ledger: bool, static_file: str) -> None:
    """The bench server: the real app plus one static route; optionally without the ledger."""
    import uvicorn
    from starlette.responses import Response

    from koppelvlak.api.oneroster import disclosure
    from koppelvlak.app import create_app

    if not ledger:
        disclosure.audit.record = lambda session, item: None  # type: ignore[assignment,misc]
    app = create_app()
    cached: list[bytes] = []

    @app.get("/bench/static", include_in_schema=False)
    def static() -> Response:
        if not cached:
            cached.append(Path(static_file).read_bytes())
        return Response(cached[0], media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start(
    env: dict[str, str], ledger: bool, static_file: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, __file__, "serve", str(port), "1" if ledger else "0", str(static_file)]
    process = subprocess.Popen(args, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("bench server did not start")


def token(base: str, provider: dict[str, str]) -> str:
    answer = httpx.post(
        base + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(provider["client_id"], provider["client_secret"]),
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def drive(url: str, headers: dict[str, str], clients: int, seconds: float) -> tuple[float, float]:
    """Requests per second and median latency (ms) of ``clients`` threads for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        mine: list[float] = []
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.perf_counter() < stop:
                begin = time.perf_counter()
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
                mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


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


def _provider(url: str) -> dict[str, Any]:
    """The test suite's two providers on the demo board; the wider dataset (two schools)."""
    from tests.support.provider_setup import add_providers

    from koppelvlak.db import make_engine, session_factory, unit_of_work

    engine = make_engine(url)
    with unit_of_work(session_factory(engine)) as session:
        added = add_providers(session)
    engine.dispose()
    return max(added, key=lambda p: len(p["dataset"]["attributes"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--release-cache", type=float, default=0, help="seconds (ADR 0043)")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kv-bench-"))
    url = database(options.database, workdir)
    env = koppelvlak_env(
        url,
        workdir,
        KOPPELVLAK_RATE_LIMIT="1000000/minute",
        KOPPELVLAK_LOG_LEVEL="warning",
        KOPPELVLAK_RELEASE_CACHE_SECONDS=str(options.release_cache),
    )
    demo = run_cli("demo", "--students", str(options.students), "--json", env=env, timeout=600)
    if demo.returncode != 0:
        raise SystemExit(demo.stderr)
    provider = _provider(url)
    static_file = workdir / "users-page.json"
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for ledger in (True, False):
        process, base = start(env, ledger, static_file)
        try:
            headers = {"Authorization": f"Bearer {token(base, provider)}"}
            page = httpx.get(base + USERS, headers=headers)
            page.raise_for_status()
            static_file.write_bytes(page.content)
            targets = {"api+ledger" if ledger else "api-no-ledger": base + USERS}
            if ledger:
                targets["static"] = base + "/bench/static"
            for _ in range(options.runs):
                for name, target in targets.items():
                    for clients in (1, 8):
                        measured = drive(target, headers, clients, options.seconds)
                        results.setdefault((name, clients), []).append(measured)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(
        f"\n{options.database}, {options.students} students, "
        f"release cache {options.release_cache:g} s, "
        f"page {len(static_file.read_bytes())} bytes, "
        f"median of {options.runs} runs x {options.seconds:g} s\n"
    )
    print("| target | clients | req/s | p50 ms |")
    print("| --- | --- | --- | --- |")
    medians: dict[tuple[str, int], float] = {}
    for (name, clients), runs in sorted(results.items()):
        rate = statistics.median(r[0] for r in runs)
        medians[(name, clients)] = rate
        print(f"| {name} | {clients} | {rate:.0f} | {statistics.median(r[1] for r in runs):.1f} |")
    for clients in (1, 8):
        api, static = medians[("api+ledger", clients)], medians[("static", clients)]
        bare = medians[("api-no-ledger", clients)]
        print(
            f"\n{clients} client(s): api+ledger = {api / static:.0%} of static; "
            f"ledger overhead {(bare - api) / bare:.1%}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4])
    else:
        main()
