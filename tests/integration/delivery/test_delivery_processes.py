"""Real ``koppelvlak worker`` processes: killed mid-delivery, and two at once on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.delivery.conftest import Pushed, make_pushed
from tests.support.receiver import receiver
from tests.support.server import koppelvlak_env, run_cli


@contextmanager
def worker_process(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "koppelvlak.cli.main", "worker", "--no-refresh", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_delivered(pushed: list[Pushed], seconds: float = 180) -> None:
    """Poll the outbox (not a timed assertion: a generous bound for a loaded machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(set(p.states()) <= {"delivered"} for p in pushed):
            return
        time.sleep(0.2)
    pytest.fail(f"not delivered in {seconds} s: {[p.states() for p in pushed]}")


def _env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return koppelvlak_env(
        url,
        workdir,
        KOPPELVLAK_DELIVERY_BACKOFF_SECONDS="0.05",
        KOPPELVLAK_DELIVERY_TIMEOUT_SECONDS="5",
        KOPPELVLAK_LOG_LEVEL="warning",
        **extra,
    )


class TestAKilledWorker:
    @pytest.mark.parametrize(
        "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
    )
    def test_loses_nothing_and_the_next_one_resends_the_same_bytes_under_the_same_key(
        self, kind: str, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        url = fresh_database_url(kind)
        with receiver([], ["hang"]) as (endpoint, received):
            pushed = make_pushed(url, tmp_path / "keys.json", endpoint)
            received.keys.append(pushed.key)
            pushed.add_students(2)
            # A lease just over the batch's worst case, so the restarted worker retakes soon.
            env = _env(url, tmp_path, KOPPELVLAK_DELIVERY_LEASE_SECONDS="10")
            with worker_process(env) as first:
                assert received.arrived.wait(120), "the first worker never sent anything"
                os.kill(first.pid, signal.SIGKILL)
                first.wait()
            hung = received.requests[0]
            received.release.set()  # the receiver finishes the request nobody is waiting for
            with worker_process(env):
                wait_until_delivered([pushed])

            assert set(received.accepted) == pushed.ids()
            assert received.conflicts == []
            assert received.requests.count(hung) == 2  # sent again after the kill, same bytes
            verified = run_cli("audit", "verify", env=env)
            assert verified.returncode == 0, verified.stderr
        pushed.runtime.engine.dispose()


@pytest.mark.postgres
class TestTwoWorkersOnPostgreSQL:
    def test_never_send_one_delivery_twice(
        self, fresh_database_url: Callable[[str], str], tmp_path: Path
    ) -> None:
        url = fresh_database_url("postgresql")
        with receiver([]) as (endpoint, received):
            pushed = [make_pushed(url, tmp_path / "keys.json", endpoint) for _ in range(4)]
            received.keys.extend(p.key for p in pushed)
            for one in pushed:
                one.add_students(1)
                one.add_students(1)
            env = _env(url, tmp_path)
            with worker_process(env, "--threads", "2"), worker_process(env, "--threads", "2"):
                wait_until_delivered(pushed)

            ids = set().union(*(p.ids() for p in pushed))
            assert len(ids) == 12
            assert sorted(received.requests) == sorted(ids)  # each exactly once
            assert received.conflicts == []
        for one in pushed:
            one.runtime.engine.dispose()
