"""The demo board is realistic, deterministic for a seed, and replaceable."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import age_on
from koppelvlak.roster.demo import build_demo_board, find_demo_board, remove_board
from koppelvlak.roster.models import (
    Group,
    GroupKind,
    Guardian,
    Guardianship,
    School,
    Staff,
    Student,
    StudentMembership,
)
from koppelvlak.roster.personas import PERSONAS


def _students(
    session: Session,
) -> list[tuple[str, str | None, str | None, date | None, str | None]]:
    return list(
        session.execute(
            select(
                Student.source_key,
                Student.given_name,
                Student.family_name,
                Student.birth_date,
                Student.year_group,
            ).order_by(Student.source_key)
        )
    )


class TestDemoBoard:
    def test_it_has_two_schools_and_the_requested_number_of_students(
        self, session: Session
    ) -> None:
        build_demo_board(session, students=240, seed=1, school_year="2025-2026")
        assert session.scalar(select(func.count()).select_from(School)) == 2
        assert session.scalar(select(func.count()).select_from(Student)) == 240

    def test_the_same_seed_gives_the_same_board(self, session: Session) -> None:
        first = build_demo_board(session, students=120, seed=42, school_year="2025-2026")
        people = _students(session)
        remove_board(session, first.board_id)
        second = build_demo_board(session, students=120, seed=42, school_year="2025-2026")
        assert second.board_id == first.board_id
        assert _students(session) == people

    def test_another_seed_gives_other_people(self, session: Session) -> None:
        first = build_demo_board(session, students=120, seed=1, school_year="2025-2026")
        people = _students(session)
        remove_board(session, first.board_id)
        build_demo_board(session, students=120, seed=2, school_year="2025-2026")
        assert _students(session) != people

    def test_the_personas_are_on_the_board(self, session: Session) -> None:
        build_demo_board(session, students=400, seed=7, school_year="2025-2026")
        keys = set(session.scalars(select(Student.source_key)))
        assert {p.source_key for p in PERSONAS} <= keys
        emma = session.execute(select(Student).where(Student.source_key == "000121")).scalar_one()
        assert (emma.given_name, emma.name_prefix, emma.family_name) == ("Emma", "de", "Vries")

    def test_birth_dates_fit_the_year_groups(self, session: Session) -> None:
        build_demo_board(session, students=600, seed=3, school_year="2025-2026")
        first_october = date(2025, 10, 1)
        for _key, _given, _family, birth, year_group in _students(session):
            assert birth is not None
            assert year_group is not None
            group = int(year_group)
            expected = group + 3 if group <= 8 else group - 2 + 3
            assert age_on(birth, first_october) in {expected, expected + 1}, (birth, year_group)

    def test_every_student_is_in_exactly_one_class_group_and_has_a_guardian(
        self, session: Session
    ) -> None:
        build_demo_board(session, students=300, seed=5, school_year="2025-2026")
        class_groups = (
            select(StudentMembership.student_id, func.count())
            .join(Group, Group.id == StudentMembership.group_id)
            .where(Group.kind == GroupKind.CLASS_GROUP)
            .group_by(StudentMembership.student_id)
        )
        counts = [count for _student, count in session.execute(class_groups)]
        assert len(counts) == 300
        assert set(counts) == {1}
        with_guardian = session.scalar(select(func.count(func.distinct(Guardianship.student_id))))
        assert with_guardian == 300

    def test_names_keep_prefixes_and_diacritics(self, session: Session) -> None:
        build_demo_board(session, students=2_000, seed=9, school_year="2025-2026")
        prefixes = set(session.scalars(select(Student.name_prefix).distinct()))
        assert {"van der", "de", "van den"} <= prefixes
        names = set(session.scalars(select(Student.given_name).distinct()))
        assert any(ch in "".join(n or "" for n in names) for ch in "ëïö")

    def test_addresses_and_usernames_come_from_names_never_from_keys(
        self, session: Session
    ) -> None:
        build_demo_board(session, students=400, seed=7, school_year="2025-2026")
        people = [
            *session.execute(select(Student.source_key, Student.email, Student.username)),
            *session.execute(select(Staff.source_key, Staff.email, Staff.username)),
            *(
                (key, email, None)
                for key, email in session.execute(select(Guardian.source_key, Guardian.email))
            ),
        ]
        addresses = [email for _key, email, _user in people if email]
        assert addresses
        assert len(addresses) == len(set(addresses))
        for key, email, username in people:
            for value in (email, username):
                assert value is None or key.lower() not in value.lower(), (key, value)
        for brin in ("99xx", "99yy"):
            assert not any(brin in a for a in addresses)
        emma = session.execute(select(Student).where(Student.source_key == "000121")).scalar_one()
        assert emma.username is not None
        assert emma.username.startswith("emma.devries")

    def test_removing_the_board_leaves_nothing_behind(self, session: Session) -> None:
        summary = build_demo_board(session, students=50, seed=1, school_year="2025-2026")
        remove_board(session, summary.board_id)
        assert find_demo_board(session) is None
        assert session.scalar(select(func.count()).select_from(Student)) == 0
