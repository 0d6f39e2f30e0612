"""School pages: render time of each main page for a 2,000-student school on SQLite.

Builds the demo board with ``koppelvlak demo`` (3,334 students: 60 % at school 99XX, the
primary school the Doorstroomtoets and Leesland connections serve), logs in as the demo admin
and times each page in process (routing, session check, services, template), so the figure is
the server's work without the network. Median and worst of ``--runs`` after one warm-up.

    .venv/bin/python bench/bench_web.py --students 3334 --runs 15
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=3334)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = f"sqlite:///{workdir / 'k.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELVLAK_")}
        env.update(
            KOPPELVLAK_DATABASE_URL=url,
            KOPPELVLAK_KEY_FILE=str(workdir / "keys.json"),
            KOPPELVLAK_MAIL_URL=f"folder:{workdir / 'mail'}",
            KOPPELVLAK_LOG_LEVEL="warning",
        )
        subprocess.run(
            [sys.executable, "-m", "koppelvlak.cli.main", "demo", "--students", str(args.students)],
            env=env,
            check=True,
            capture_output=True,
        )
        os.environ.update(env)
        _time_pages(args.runs)


def _time_pages(runs: int) -> None:
    import logging

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from koppelvlak.accounts.demo import demo_logins
    from koppelvlak.app import create_app
    from koppelvlak.roster.models import School, Student
    from koppelvlak.runtime import Runtime

    logging.getLogger("koppelvlak.access").setLevel(logging.WARNING)
    runtime = Runtime.from_settings()
    with runtime.unit_of_work() as session:
        school = session.scalars(select(School).where(School.brin == "99XX")).one()
        students = session.scalar(select(Student.id).where(Student.school_id == school.id).limit(1))
        size = len(list(session.scalars(select(Student.id).where(Student.school_id == school.id))))
    client = TestClient(create_app(runtime))
    login = demo_logins("DEMO", 7)[0]
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post(
        "/login",
        data={
            "csrf": token.group(1),
            "board": "DEMO",
            "email": login.email,
            "password": login.password,
        },
    )
    listing = client.get("/connections").text
    connection = re.search(r'href="/connections/([0-9a-f-]{36})">Doorstroomtoets', listing)
    assert connection is not None
    cid = connection.group(1)
    pages = {
        "dashboard /": "/",
        "connections": "/connections",
        "connection (Doorstroomtoets)": f"/connections/{cid}",
        "scope count (htmx)": f"/connections/{cid}/scope-count?kind=year_groups&year=8",
        "explain one person": f"/connections/{cid}/explain?person={students}",
        "person page": f"/people/{students}",
        "providers": "/providers",
        "activity": "/activity",
    }
    print(f"school 99XX: {size} students; {runs} runs per page after one warm-up")
    print("| page | median ms | worst ms |\n| --- | ---: | ---: |")
    for name, path in pages.items():
        assert client.get(path).status_code == 200, path
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        print(f"| {name} | {statistics.median(times):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main()
