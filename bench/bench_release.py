"""Release engine benchmark: resolve times for a 2,000-student school and a 50,000-student board.

Run: ``.venv/bin/python bench/bench_release.py [--runs 7] [--database-url URL]``. Builds demo
boards on a fresh database (a temporary SQLite file by default), connects a provider to every
school with a whole-school dataset (names, birth date, year group, groups, group names) and
prints the median and spread of ``release.resolve`` over several runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.db import make_engine, session_factory, unit_of_work, upgrade
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from koppelvlak.providers.schemas import Application, DatasetSpec
from koppelvlak.release import service as release
from koppelvlak.roster.demo import build_demo_board, remove_board
from koppelvlak.roster.models import School

KEY = b"bench-pseudonym-key-0123456789abcdef"
AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
DATASET = DatasetSpec(
    attributes={
        "student.given_name": True,
        "student.family_name": True,
        "student.name_prefix": True,
        "student.birth_date": True,
        "student.year_group": True,
        "student.groups": True,
        "group.name": True,
    },
    purpose_code="learning_materials",
    entity_types=frozenset({"students", "groups"}),
)


def _connect(session: Session, board_id: uuid.UUID, kvk: str) -> list[tuple[str, uuid.UUID]]:
    provider = providers.apply(
        session,
        Application(
            name=f"Bench {kvk}",
            kvk_number=kvk,
            contact_email="b@bench.example",
            security_contact_email="s@bench.example",
            privacy_statement_url="https://bench.example/privacy",
            covenant_signed_on=AT.date(),
            processing_agreement_on=AT.date(),
        ),
        AT,
    )
    providers.accredit(session, provider.id, AccreditationState.ACCREDITED, actor="bench", at=AT)
    found = []
    for school in session.scalars(select(School).where(School.board_id == board_id)):
        app = providers.add_app(session, provider.id, f"App {school.brin}")
        providers.add_dataset_version(session, app.id, DATASET, actor="bench", at=AT)
        connection = connections.request(
            session, board_id=board_id, school_id=school.id, app_id=app.id, actor="bench", at=AT
        )
        connections.sign_off(session, board_id, connection.id, actor="bench", at=AT)
        connections.approve(session, board_id, connection.id, actor="bench", at=AT)
        found.append((school.brin, connection.id))
    return found


Timings = tuple[list[float], list[float]]  # wall seconds, CPU seconds of this process


def _time(session: Session, connection_ids: list[uuid.UUID], runs: int) -> tuple[Timings, int]:
    wall, cpu = [], []
    people = 0
    for _ in range(runs):
        session.expire_all()
        started, started_cpu = time.perf_counter(), time.process_time()
        people = sum(len(release.resolve(session, c, AT, KEY).people) for c in connection_ids)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return (wall, cpu), people


def _report(label: str, timings: Timings, people: int) -> None:
    wall = [t * 1000 for t in timings[0]]
    cpu = [t * 1000 for t in timings[1]]
    print(
        f"{label:<40} people {people:>6}  wall median {statistics.median(wall):7.0f} ms"
        f" (min {min(wall):6.0f})  cpu median {statistics.median(cpu):7.0f} ms"
        f" (min {min(cpu):6.0f})  n={len(wall)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = session_factory(engine)
        # 3,334 students: the demo puts 60 % in the primary school, so it has 2,000.
        for students, kvk, label in ((3_334, "80000001", "school"), (50_000, "80000002", "board")):
            with unit_of_work(factory) as session:
                summary = build_demo_board(
                    session, students=students, seed=11, school_year="2025-2026"
                )
                connected = _connect(session, summary.board_id, kvk)
            with unit_of_work(factory) as session:
                if label == "school":
                    primary = [c for brin, c in connected if brin == "99XX"]
                    timings, people = _time(session, primary, args.runs)
                    _report(f"{engine.dialect.name}: one school (99XX)", timings, people)
                else:
                    for brin, connection_id in connected:
                        timings, people = _time(session, [connection_id], args.runs)
                        _report(f"{engine.dialect.name}: board school {brin}", timings, people)
                    timings, people = _time(session, [c for _b, c in connected], args.runs)
                    _report(f"{engine.dialect.name}: whole 50,000-student board", timings, people)
            with unit_of_work(factory) as session:
                remove_board(session, summary.board_id)
        engine.dispose()


if __name__ == "__main__":
    main()
