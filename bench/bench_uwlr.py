"""UWLR HaalLeerlinggegevens: end-to-end latency and server peak memory.

Builds a demo board (60 % of the students at school 99XX), an accredited provider with an
active whole-school connection and a UWLR key, starts a real ``koppelvlak serve`` and times full
SOAP round trips (validate, authenticate, resolve the release, render, write the ledger entry,
commit, send). Also times the in-process steps (resolve / render / record) to show where the
time goes. Peak memory is the server process's VmHWM after the runs.

    .venv/bin/python bench/bench_uwlr.py --students 3334 --runs 15   # a 2,000-student school
    .venv/bin/python bench/bench_uwlr.py --students 50000 --runs 3   # a 50,000-student board
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KEY = "B" * 88
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DATASET = {
    "student.given_name": True,
    "student.family_name": True,
    "student.name_prefix": True,
    "student.birth_date": True,
    "student.year_group": True,
    "student.groups": True,
    "group.name": True,
    "group.year_group": True,
    "staff.given_name": True,
    "staff.family_name": True,
    "staff.groups": True,
}


def _env(url: str, workdir: Path) -> dict[str, str]:
    from tests.support.uwlr import UWLR_DIR

    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
    env.update(
        KOPPELVLAK_DATABASE_URL=url,
        KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"),
        KOPPELVLAK_UWLR_DIR=str(UWLR_DIR),
        KOPPELVLAK_LOG_LEVEL="warning",
    )
    return env


def _setup(url: str) -> tuple[int, str]:
    """Provider, app, dataset, active connection and key; returns (students at 99XX, year)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from koppelvlak.connections import service as connections
    from koppelvlak.db import make_engine
    from koppelvlak.providers import service as providers
    from koppelvlak.providers.models import AccreditationState
    from koppelvlak.providers.schemas import Application, DatasetSpec
    from koppelvlak.roster.demo import school_year_of
    from koppelvlak.roster.models import Board, School, Student

    engine = make_engine(url)
    with Session(engine) as session:
        board = session.scalars(select(Board).where(Board.code == "DEMO")).one()
        school = session.scalars(
            select(School).where(School.board_id == board.id, School.brin == "99XX")
        ).one()
        application = Application(
            name="Bench Leermiddel B.V.",
            kvk_number="87654321",
            contact_email="c@example.nl",
            security_contact_email="s@example.nl",
            privacy_statement_url="https://example.nl/privacy",
            covenant_signed_on=date(2025, 6, 1),
            processing_agreement_on=date(2025, 6, 2),
        )
        provider = providers.apply(session, application, T0)
        providers.accredit(
            session, provider.id, AccreditationState.ACCREDITED, actor="bench", at=T0
        )
        app = providers.add_app(session, provider.id, "Bench app")
        spec = DatasetSpec(
            attributes=DATASET,
            purpose_code="learning_materials",
            entity_types=frozenset({"students", "groups", "staff"}),
        )
        version = providers.add_dataset_version(session, app.id, spec, actor="bench", at=T0)
        connection = connections.request(
            session, board_id=board.id, school_id=school.id, app_id=app.id, actor="bench", at=T0
        )
        if version.sensitive:
            connections.sign_off(session, board.id, connection.id, actor="bench", at=T0)
        connections.approve(session, board.id, connection.id, actor="bench", at=T0)
        providers.create_uwlr_key(
            session, provider.id, board.id, [("99XX", "00")], T0,
            klantcode="BENCH", autorisatiesleutel=KEY,
        )  # fmt: skip
        students = session.scalar(
            select(func.count()).select_from(Student).where(Student.school_id == school.id)
        )
        session.commit()
    engine.dispose()
    return int(students or 0), school_year_of(datetime.now(UTC).date())


def _request(year: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:a="http://www.edustandaard.nl/leerresultaten/2/autorisatie" '
        'xmlns:l="http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"><s:Header>'
        f"<a:autorisatie><a:autorisatiesleutel>{KEY}</a:autorisatiesleutel>"
        "<a:klantcode>BENCH</a:klantcode><a:klantnaam>Bench</a:klantnaam></a:autorisatie>"
        f"</s:Header><s:Body><l:leerlinggegevens_verzoek><l:schooljaar>{year}</l:schooljaar>"
        "<l:brincode>99XX</l:brincode><l:dependancecode>00</l:dependancecode>"
        "<l:xsdversie>2.2</l:xsdversie></l:leerlinggegevens_verzoek></s:Body></s:Envelope>"
    ).encode()


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=3334)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from tests.support.server import free_port

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.db'}"
        env = _env(url, workdir)
        koppelvlak = [sys.executable, "-m", "koppelvlak.cli.main"]
        subprocess.run(
            [*koppelvlak, "demo", "--students", str(args.students)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        students, year = _setup(url)
        port = free_port()
        server = subprocess.Popen(
            [*koppelvlak, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            body = _request(year)
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(2):
                    warm = client.post("/uwlr/v2/leerlinggegevens", content=body)
                    assert warm.status_code == 200, warm.text[:500]
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    response = client.post("/uwlr/v2/leerlinggegevens", content=body)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
            peak = _peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"students at 99XX: {students} (board of {args.students}); "
        f"answer {len(response.content):,} bytes"
    )
    print(
        f"HaalLeerlinggegevens over HTTP, {args.runs} runs: "
        f"median {statistics.median(times):.0f} ms, "
        f"min {min(times):.0f} ms, max {max(times):.0f} ms"
    )
    print(f"server peak RSS (VmHWM): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
