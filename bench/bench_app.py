"""The real ``koppelvlak serve`` with a bench-only app factory: a static route, maybe no ledger.

    python -m bench.bench_app serve --workers 2 --port 8001

runs the product's own ``serve`` command (migrations, key file, the embedded refresh thread,
uvicorn with its worker processes and options) and changes one thing: uvicorn imports
``bench.bench_app:create_app`` instead of ``koppelvlak.app:create_app``. Every worker process
builds its app from that factory, so what the environment says holds in every worker:

- ``KOPPELVLAK_BENCH_STATIC``: a file whose bytes ``GET /bench/static`` answers, through the same
  app and middleware as the API (read once per worker, on the first request);
- ``KOPPELVLAK_BENCH_LEDGER=0``: the OneRoster reads skip the ledger append (no entry, no
  ledger transaction) — the only difference between the "with" and "without ledger" servers.

Bench-only: nothing in ``src`` knows about it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response

ROOT = Path(__file__).resolve().parents[1]
FACTORY = "bench.bench_app:create_app"


def create_app() -> FastAPI:
    """The product's app plus ``/bench/static``; without the ledger if the environment says so."""
    from koppelvlak.api.oneroster import disclosure
    from koppelvlak.app import create_app as product_app

    if os.environ.get("KOPPELVLAK_BENCH_LEDGER", "1") == "0":

        def nothing(*args: Any, **kwargs: Any) -> list[Any]:
            return []

        # disclosure reaches the ledger only through its module attribute ``audit``.
        shim = SimpleNamespace(prepare=nothing, commit=nothing)
        disclosure.audit = shim  # type: ignore[assignment,attr-defined]  # bench: no ledger
        disclosure._disclosures = nothing  # and skips the digest too
    app = product_app()
    static_file = os.environ.get("KOPPELVLAK_BENCH_STATIC")
    cached: list[bytes] = []

    @app.get("/bench/static", include_in_schema=False)
    def static() -> Response:
        if not cached:
            cached.append(Path(static_file or os.devnull).read_bytes())
        return Response(cached[0], media_type="application/json")

    return app


def main() -> None:
    """``koppelvlak`` with its ``serve`` pointed at this module's factory."""
    import uvicorn

    from koppelvlak.cli.main import app as cli

    real_run = uvicorn.run

    def run(target: Any, **options: Any) -> None:
        assert target == "koppelvlak.app:create_app", target  # the product's serve changed
        # Every option as the product passes it, the worker health check's 120 s included.
        real_run(FACTORY, **options)

    uvicorn.run = run  # type: ignore[assignment]
    cli()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # spawned uvicorn workers inherit it and can import ``bench``
    main()
