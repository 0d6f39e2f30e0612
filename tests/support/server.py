"""Start the real ``koppelvlak serve`` process on a free loopback port for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def koppelvlak_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
    env.update(
        KOPPELVLAK_DATABASE_URL=database_url,
        KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"),
        **extra,
    )
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "koppelvlak.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def running_server(
    env: dict[str, str],
    *,
    ready_path: str = "/healthz",
    timeout: float = 120,
    workers: int = 1,
    log_file: Path | None = None,
) -> Iterator[str]:
    """Yield the base URL of a live server; stop it afterwards, whatever happened.

    One worker process unless asked: the suite runs many servers on a small machine. The server
    writes to a temporary file (or ``log_file``, for tests that read the log), never to a pipe
    nobody drains: a chatty server would otherwise fill the pipe and stall. The generous start-up
    timeout is for a shared, overloaded test machine (a start took 35 s at a load of 30 on 2
    cores); a healthy server answers in about two seconds.
    """
    port = free_port()
    # Hrefs, Links and the WSDL address come from the configured public URL, never the Host.
    env = {"KOPPELVLAK_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    log = (
        log_file.open("w+", encoding="utf-8")
        if log_file is not None
        else tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115  (closed in finally)
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "koppelvlak.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read()
                raise RuntimeError(f"server exited with {process.returncode}: {output}")
            try:
                if httpx.get(base_url + ready_path, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
