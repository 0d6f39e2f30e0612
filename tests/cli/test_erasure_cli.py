"""``koppelvlak erase``, ``hold`` and ``purge`` as a DPO runs them, on a committed demo board:
real processes, one line per failure, the ledger and the kept releases still sound after.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from koppelvlak.db import make_engine
from koppelvlak.roster.demo import DEMO_BOARD_CODE
from koppelvlak.roster.models import Student
from tests.support.server import koppelvlak_env, run_cli

BOARD = DEMO_BOARD_CODE
Demo = tuple[dict[str, str], str]  # the environment and database URL of a copy


@pytest.fixture(scope="module")
def demo_board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo board per module (building it is the slow part); each test gets a copy."""
    folder = tmp_path_factory.mktemp("demo")
    built = run_cli(
        "demo", "--students", "30", env=koppelvlak_env(f"sqlite:///{folder / 'e.db'}", folder)
    )
    assert built.returncode == 0, built.stderr
    return folder


@pytest.fixture
def demo(demo_board: Path, tmp_path: Path) -> Demo:
    shutil.copytree(demo_board, tmp_path, dirs_exist_ok=True)  # the WAL file holds the data
    url = f"sqlite:///{tmp_path / 'e.db'}"
    return koppelvlak_env(url, tmp_path), url


def _students(url: str, count: int) -> list[uuid.UUID]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = list(
            connection.scalars(select(Student.id).order_by(Student.source_key).limit(count))
        )
    engine.dispose()
    return found


def _token(env: dict[str, str], role: str) -> str:
    made = run_cli("admin", "token", "create", "--board", BOARD, "--role", role, env=env)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


class TestEraseAndHold:
    def test_an_erasure_keeps_the_ledger_and_the_kept_releases_sound(self, demo: Demo) -> None:
        env, url = demo
        (student,) = _students(url, 1)

        erased = run_cli("erase", str(student), "--board", BOARD, "--request", "AVG-7", env=env)

        assert erased.returncode == 0, erased.stderr
        assert "student erased" in erased.stdout
        assert run_cli("audit", "verify", env=env).returncode == 0
        check = run_cli("release", "check", env=env)
        assert check.returncode == 0, check.stdout
        again = run_cli("erase", str(student), "--board", BOARD, env=env)
        assert again.returncode == 1
        assert again.stderr == (
            f"error: no student, staff member or guardian with id {student} here\n"
        )

    def test_a_held_person_is_refused_until_the_hold_is_lifted(self, demo: Demo) -> None:
        env, url = demo
        (student,) = _students(url, 1)
        placed = run_cli(
            "hold",
            "place",
            "--board",
            BOARD,
            "--person",
            str(student),
            "--reason",
            "case 12",
            env=env,
        )
        assert placed.returncode == 0, placed.stderr
        hold_id = placed.stdout.strip()
        listed = run_cli("hold", "list", "--board", BOARD, env=env)
        assert hold_id in listed.stdout
        assert "case 12" in listed.stdout

        refused = run_cli("erase", str(student), "--board", BOARD, env=env)
        assert refused.returncode == 1
        assert refused.stderr.startswith(f"error: person {student} is under legal hold {hold_id}")

        lifted = run_cli("hold", "lift", hold_id, "--board", BOARD, "--reason", "closed", env=env)
        assert lifted.returncode == 0, lifted.stderr
        assert run_cli("erase", str(student), "--board", BOARD, env=env).returncode == 0

    def test_bad_input_is_one_line(self, demo: Demo) -> None:
        env, _url = demo
        bad = run_cli("erase", "not-an-id", "--board", BOARD, env=env)
        assert (bad.returncode, bad.stderr) == (1, "error: 'not-an-id' is not a person id\n")
        no_reason = run_cli(
            "hold", "place", "--board", BOARD, "--purpose", "final_test", "--reason", " ", env=env
        )
        assert (no_reason.returncode, no_reason.stderr) == (
            1,
            "error: a legal hold needs a reason\n",
        )


class TestThePurge:
    def test_dry_run_plan_approve_and_run_agree_and_a_second_dry_run_finds_nothing(
        self, demo: Demo
    ) -> None:
        env, url = demo
        leaver, held = _students(url, 2)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(
                update(Student)
                .where(Student.id.in_([leaver, held]))
                .values(enrolment_end=date(2019, 7, 31))
            )
        engine.dispose()
        assert (
            run_cli(
                "hold",
                "place",
                "--board",
                BOARD,
                "--person",
                str(held),
                "--reason",
                "claim",
                env=env,
            ).returncode
            == 0
        )
        admin, dpo = _token(env, "admin"), _token(env, "dpo")

        dry = run_cli("purge", "--board", BOARD, "--dry-run", "--json", env=env)
        assert dry.returncode == 0, dry.stderr
        listed = json.loads(dry.stdout)
        assert [p["person_id"] for p in listed["people"] if p["kind"] == "student"] == [str(leaver)]
        assert listed["held"][0]["person_id"] == str(held)

        planned = run_cli("purge", "plan", "--board", BOARD, "--token", admin, env=env)
        assert planned.returncode == 0, planned.stderr
        plan_id = planned.stdout.strip()
        by_admin = run_cli("purge", "approve", plan_id, "--token", admin, env=env)
        assert (by_admin.returncode, by_admin.stderr) == (
            1,
            "error: the admin role may not approve a purge plan\n",
        )
        assert run_cli("purge", "approve", plan_id, "--token", dpo, env=env).returncode == 0
        twice = run_cli("purge", "approve", plan_id, "--token", dpo, env=env)
        assert twice.stderr == f"error: purge plan {plan_id} is already approved\n"
        ran = run_cli("purge", "run", plan_id, "--token", admin, env=env)
        assert ran.returncode == 0, ran.stderr

        assert leaver not in _students(url, 100)
        assert held in _students(url, 100)
        second = run_cli("purge", "--board", BOARD, "--dry-run", "--json", env=env)
        assert json.loads(second.stdout)["people"] == []
        assert run_cli("audit", "verify", env=env).returncode == 0
        assert run_cli("release", "check", env=env).returncode == 0

    def test_without_dry_run_it_points_at_the_approval_steps(self, demo: Demo) -> None:
        env, _url = demo
        result = run_cli("purge", "--board", BOARD, env=env)
        assert result.returncode == 1
        assert "'purge plan', 'purge approve PLAN' (a DPO) and 'purge run PLAN'" in result.stderr
