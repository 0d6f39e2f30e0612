"""The demo providers: connected, explainable, and printed in the issue's JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections.demo import create_demo_providers
from koppelvlak.kit.clock import age_on
from koppelvlak.release import service as release
from koppelvlak.roster.demo import build_demo_board
from koppelvlak.roster.models import Student
from tests.factories.providers import T0
from tests.support.server import koppelvlak_env, run_cli

KEY = b"d" * 32


class TestDemoProviders:
    def test_each_releases_what_its_story_says(self, session: Session) -> None:
        summary = build_demo_board(session, students=400, seed=3, school_year="2025-2026")
        reading, final_test, homework, _ = create_demo_providers(
            session, summary.board_id, seed=3, at=T0
        )
        years = dict(session.execute(select(Student.id, Student.year_group)).all())
        births = dict(session.execute(select(Student.id, Student.birth_date)).all())

        read = release.resolve(session, reading.connection_id, T0, KEY)
        assert read.people
        assert {years[p.person_id] for p in read.people} <= {"3", "4", "5"}
        assert read.attribute_ids == frozenset(
            {"student.given_name", "student.groups", "student.year_group", "group.name"}
        )

        test = release.resolve(session, final_test.connection_id, T0, KEY)
        assert test.people
        assert {years[p.person_id] for p in test.people} == {"8"}

        home = release.resolve(session, homework.connection_id, T0, KEY)
        for person in home.people:
            explanation = release.explain(session, homework.connection_id, person.person_id, T0)
            assert explanation.released
        under_16 = [
            p
            for p in home.people
            if age_on(births[p.person_id], T0.date()) < 16  # type: ignore[arg-type]
        ]
        assert len(under_16) < len(
            [s for s, b in births.items() if b and age_on(b, T0.date()) < 16]
        )

    def test_one_provider_has_full_rostering_with_staff_e_mail_and_enrollments(
        self, session: Session
    ) -> None:
        summary = build_demo_board(session, students=200, seed=3, school_year="2025-2026")
        *_, learning = create_demo_providers(session, summary.board_id, seed=3, at=T0)
        roster = release.resolve(session, learning.connection_id, T0, KEY)
        assert roster.students
        assert roster.staff
        assert all(p.attributes.get("staff.email") for p in roster.staff)
        assert all(p.attributes.get("student.family_name") for p in roster.students)
        assert {g.attributes.get("group.kind") for g in roster.groups} == {
            "class_group",
            "teaching_group",
        }
        assert all(p.group_pseudonyms for p in roster.people)

    def test_the_credentials_derive_from_the_seed(self, session: Session) -> None:
        summary = build_demo_board(session, students=60, seed=4, school_year="2025-2026")
        first = create_demo_providers(session, summary.board_id, seed=4, at=T0)
        again = create_demo_providers(session, summary.board_id, seed=4, at=T0)
        assert [p.client_secret for p in first] == [p.client_secret for p in again]


class TestDemoJson:
    def test_it_prints_the_issue_s_document(self, tmp_path: Path) -> None:
        env = koppelvlak_env(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
        result = run_cli("demo", "--students", "80", "--json", env=env)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert set(document) >= {"board", "admin", "providers"}
        assert set(document["board"]) >= {"id", "school_year"}
        assert [p["app"] for p in document["providers"]] == [
            "Leesland",
            "Doorstroomtoets",
            "HuiswerkHulp",
            "Klaslokaal",
        ]
        for provider in document["providers"]:
            assert set(provider) == {
                "name",
                "app",
                "client_id",
                "client_secret",
                "uwlr",
                "schools",
                "dataset",
            }
            assert set(provider["uwlr"]) == {"klantcode", "autorisatiesleutel"}
            assert set(provider["schools"][0]) == {"brin", "location"}
            assert set(provider["dataset"]) == {"version", "purpose", "lawful_basis", "attributes"}
        assert document["providers"][1]["dataset"]["lawful_basis"] == "legal_duty"
        assert document["providers"][2]["dataset"]["lawful_basis"] == "consent"
        assert "student.birth_date" in document["providers"][2]["dataset"]["attributes"]
