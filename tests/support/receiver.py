"""A provider's push endpoint on loopback: a real threaded HTTP server with a script of faults.

Each request takes the next step of ``script`` (then ``ok`` forever): ``ok`` answers 200,
``500`` answers 500, ``drop`` closes the connection without an answer, ``slow`` waits past the
client's timeout, ``hang`` waits until ``release`` is set. Like a careful receiver, it checks
the signature and the timestamp, and accepts each ``Idempotency-Key`` once: a repeat with the
same body answers 200 and is not accepted again; a repeat with a *different* body is recorded
as a conflict (what must never happen).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from koppelvlak.delivery import signing


@dataclass
class Received:
    script: list[str]
    keys: list[bytes]
    slow_seconds: float = 2.0
    accepted: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # delivery id of every request, in order
    conflicts: list[str] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)
    on_body: Callable[[bytes], None] | None = None  # called as each request arrives
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def digests(self) -> set[str]:
        return {hashlib.sha256(b).hexdigest() for b in self.accepted.values()}


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with received.lock:
                received.requests.append(key)
            if received.on_body is not None:
                received.on_body(body)
            received.arrived.set()
            step = received.step()
            if step == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if step == "slow":
                time.sleep(received.slow_seconds)
            if step == "hang":
                received.release.wait(60)
            if step == "500":
                self._answer(500)
                return
            self._accept(key, body)

        def _accept(self, key: str, body: bytes) -> None:
            header = self.headers.get(signing.HEADER, "")
            try:
                delivery_id = uuid.UUID(key)
            except ValueError:
                self._answer(400)
                return
            if not any(
                signing.verify(k, header, delivery_id, body, now=int(time.time()))
                for k in received.keys
            ):
                with received.lock:
                    received.unsigned.append(key)
                self._answer(401)
                return
            with received.lock:
                earlier = received.accepted.get(key)
                if earlier is None:
                    received.accepted[key] = body
                elif earlier != body:
                    received.conflicts.append(key)
            self._answer(200)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def receiver(
    keys: list[bytes], script: list[str] | None = None, **options: float
) -> Iterator[tuple[str, Received]]:
    """Yield (url, record) of a live receiver on a free loopback port; stop it afterwards."""
    received = Received(list(script or []), keys, **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(received))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/koppelvlak", received
    finally:
        received.release.set()
        server.shutdown()
        server.server_close()
