"""A normal provider's pages while four callers guess secrets at ``/oauth/token``.

    .venv/bin/python bench/bench_guessers.py --students 200 --runs 3 --seconds 5
    .venv/bin/python bench/bench_guessers.py --students 200 --runs 3 --seconds 5 --no-lockout

Builds a demo board (SQLite), starts ``koppelvlak serve``, fetches a token for one provider and
reads ``users`` pages of 100 with one client, first alone, then with four threads sending wrong
secrets for the other provider's client id. Every wrong secret costs the server an argon2
verification until the lock-out (``api/ratelimit.py``) answers 429 without verifying. Prints the
median page latency of each phase (median of the runs) and the guessers' answers.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import koppelvlak_env, run_cli, running_server  # noqa: E402

USERS = "/ims/oneroster/rostering/v1p2/users?limit=100"


def pages(base: str, token: str, seconds: float) -> float:
    """Median latency (ms) of one client reading pages for ``seconds``."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            assert client.get(USERS).status_code == 200
            latencies.append(time.perf_counter() - began)
    return statistics.median(latencies) * 1000


def guess(
    base: str, client_id: str, stop: threading.Event, answers: collections.Counter[int]
) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            answer = client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "guess")
            )
            answers[answer.status_code] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument(
        "--no-lockout", action="store_true", help="limits so high that no lock-out happens"
    )
    args = parser.parse_args()
    alone, guessed = [], []
    answers: collections.Counter[int] = collections.Counter()
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as work:
            workdir = Path(work)
            unlimited = {
                "KOPPELVLAK_FAILED_ATTEMPTS_PER_ADDRESS": "1000000/minute",
                "KOPPELVLAK_FAILED_ATTEMPTS_PER_CREDENTIAL": "1000000/minute",
            }
            env = koppelvlak_env(
                f"sqlite:///{workdir / 'b.db'}",
                workdir,
                KOPPELVLAK_LOG_LEVEL="warning",
                **(unlimited if args.no_lockout else {}),
            )
            built = run_cli("demo", "--students", str(args.students), "--json", env=env)
            providers = json.loads(built.stdout)["providers"]
            with running_server(env) as base:
                first, second = providers[0], providers[1]
                token = httpx.post(
                    base + "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(first["client_id"], first["client_secret"]),
                    timeout=120,
                ).json()["access_token"]
                alone.append(pages(base, token, args.seconds))
                stop = threading.Event()
                threads = [
                    threading.Thread(target=guess, args=(base, second["client_id"], stop, answers))
                    for _ in range(4)
                ]
                for thread in threads:
                    thread.start()
                guessed.append(pages(base, token, args.seconds))
                stop.set()
                for thread in threads:
                    thread.join()
    print(f"page p50 alone: {statistics.median(alone):.0f} ms (runs: {[round(a) for a in alone]})")
    print(
        f"page p50 with 4 guessers: {statistics.median(guessed):.0f} ms "
        f"(runs: {[round(g) for g in guessed]})"
    )
    print(f"guessers' answers: {dict(answers)}")


if __name__ == "__main__":
    main()
