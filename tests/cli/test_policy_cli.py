"""``koppelvlak policy`` as a DPO runs it on the demo board: create, publish, accept for a child,
who is pending, withdraw — and one clear line for every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from koppelvlak.db import make_engine
from koppelvlak.roster.models import Guardian, Guardianship, School, Student
from tests.support.server import koppelvlak_env, run_cli


def _family(url: str) -> tuple[str, str, str, str]:
    """(student id, their guardian's key, another guardian's key, the student's key) at 99YY."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Student.id, Student.source_key, Guardian.source_key)
            .join(Guardianship, Guardianship.student_id == Student.id)
            .join(Guardian, Guardian.id == Guardianship.guardian_id)
            .join(School, School.id == Student.school_id)
            .where(School.brin == "99YY", Student.birth_date > "2012-01-01")
            .order_by(Student.source_key)
        ).all()
    engine.dispose()
    student_id, student_key, guardian_key = rows[0]
    stranger = next(g for s, _, g in rows if s != student_id)
    return str(student_id), guardian_key, stranger, student_key


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path, str]:
    workdir = tmp_path_factory.mktemp("policy-cli")
    url = f"sqlite:///{workdir / 'p.db'}"
    env = koppelvlak_env(url, workdir)
    built = run_cli("demo", "--students", "40", env=env)
    assert built.returncode == 0, built.stderr
    (workdir / "nl.txt").write_text("Wij delen alleen wat nodig is.", encoding="utf-8")
    (workdir / "en.txt").write_text("We share only what is needed.", encoding="utf-8")
    return env, workdir, url


def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = run_cli("policy", *args, "--board", "DEMO", env=env)
    return done.returncode, done.stdout, done.stderr


def _pending(env: dict[str, str], code: str) -> dict[str, object]:
    code_, out, err = _cli(env, "pending", code, "--json")
    assert code_ == 0, err
    document: dict[str, object] = json.loads(out)
    return document


class TestThePolicyCommands:
    def test_a_guardian_accepts_and_withdraws_a_linked_policy_for_a_child(
        self, demo: tuple[dict[str, str], Path, str]
    ) -> None:
        env, workdir, url = demo
        texts = ("--text-nl", str(workdir / "nl.txt"), "--text-en", str(workdir / "en.txt"))
        created = _cli(
            env,
            "create",
            "huiswerk",
            "--name",
            "Toestemming HuiswerkHulp",
            "--audience",
            "students",
            "--optional",
            "--connection",
            "HuiswerkHulp",
            *texts,
        )
        assert created[0] == 0, created[2]
        assert (
            _cli(env, "publish", "huiswerk", "1")[2] == "version 1 of policy huiswerk published\n"
        )
        student, guardian, _, _ = _family(url)
        before = _pending(env, "huiswerk")
        assert student in {p["id"] for p in before["pending"]}  # type: ignore[attr-defined]

        accepted = _cli(env, "accept", "huiswerk", "--person", student, "--guardian", guardian)
        assert accepted[:3:2] == (0, "policy huiswerk: accepted\n")
        after = _pending(env, "huiswerk")
        assert after["accepted"] == 1
        assert student not in {p["id"] for p in after["pending"]}  # type: ignore[attr-defined]

        withdrawn = _cli(env, "withdraw", "huiswerk", "--person", student, "--guardian", guardian)
        assert withdrawn[:3:2] == (0, "policy huiswerk: withdrawn\n")
        assert _pending(env, "huiswerk")["accepted"] == 0
        listed = _cli(env, "list")
        assert "huiswerk  students   optional  v1  Toestemming HuiswerkHulp" in listed[1]

    def test_refusals_are_one_line_and_change_nothing(
        self, demo: tuple[dict[str, str], Path, str]
    ) -> None:
        env, workdir, url = demo
        texts = ("--text-nl", str(workdir / "nl.txt"), "--text-en", str(workdir / "en.txt"))
        made = _cli(
            env, "create", "regels", "--name", "Schoolregels", "--audience", "students", *texts
        )
        assert made[0] == 0, made[2]
        assert _cli(env, "publish", "regels", "1")[0] == 0
        student, guardian, stranger, _ = _family(url)

        again = _cli(env, "publish", "regels", "1")
        assert again[:3:2] == (1, "error: version 1 of policy 'regels' is already active\n")
        unknown = _cli(env, "publish", "nope", "1")
        assert unknown[:3:2] == (1, "error: no policy 'nope' in this board\n")
        not_theirs = _cli(env, "accept", "regels", "--person", student, "--guardian", stranger)
        assert not_theirs[0] == 1
        assert "is not a guardian of student" in not_theirs[2]
        assert _pending(env, "regels")["accepted"] == 0

        assert _cli(env, "accept", "regels", "--person", student, "--guardian", guardian)[0] == 0
        required = _cli(env, "withdraw", "regels", "--person", student, "--guardian", guardian)
        assert required[0] == 1
        assert required[2].startswith("error: policy 'regels' is required and cannot be withdrawn")
        assert _pending(env, "regels")["accepted"] == 1
