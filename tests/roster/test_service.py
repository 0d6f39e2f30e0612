"""Applying an import to the roster: one transaction, a change log, stable ids, nothing on error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from koppelvlak.errors import KoppelvlakError
from koppelvlak.roster.bulk import SYNC_CACHE_KIB, Writer
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.oneroster_map import parse_oneroster
from koppelvlak.roster.importers.uwlr import parse_uwlr
from koppelvlak.roster.models import (
    EntityKind,
    Group,
    ImportOutcome,
    RosterChange,
    School,
    Staff,
    Student,
    StudentMembership,
)
from koppelvlak.roster.service import ImportReport
from tests.factories.roster import BoardFactory
from tests.roster.conftest import (
    CATALYST,
    LG_NS,
    STUDENTS,
    TODAY,
    dump,
    import_snapshot,
    last_run,
    uwlr,
)
from tests.roster.hostile_uwlr import HOSTILE
from tests.roster.oneroster_package import ROWS as OR_ROWS
from tests.roster.oneroster_package import write_package

WriteFile = Callable[..., Path]


def run(
    session: Session, tmp_file: WriteFile, data: bytes, board: str | None = "B1"
) -> ImportReport:
    result = import_snapshot(session, lambda: parse_uwlr(tmp_file(data), today=TODAY), board)
    assert isinstance(result, ImportReport), str(result)
    return result


def changes(session: Session, report: ImportReport) -> list[tuple[str, str, list[str] | None]]:
    rows = session.execute(
        select(
            RosterChange.entity_kind, RosterChange.change_kind, RosterChange.changed_fields
        ).where(RosterChange.import_run_id == report.run_id)
    )
    return sorted((kind.value, change.value, fields) for kind, change, fields in rows)


def student(session: Session, key: str) -> Student:
    return session.scalars(select(Student).where(Student.source_key == key)).one()


class TestFirstImport:
    def test_it_adds_the_school_and_everyone_in_it_and_counts_them(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        report = run(session, tmp_file, uwlr())
        assert report.counts == {
            "school": {"added": 1, "changed": 0, "removed": 0, "total": 1},
            "group": {"added": 2, "changed": 0, "removed": 0, "total": 2},
            "student": {"added": 2, "changed": 0, "removed": 0, "total": 2},
            "staff": {"added": 1, "changed": 0, "removed": 0, "total": 1},
            "guardian": {"added": 0, "changed": 0, "removed": 0, "total": 0},
            "membership": {"added": 4, "changed": 0, "removed": 0, "total": 4},
        }
        assert last_run(session).outcome is ImportOutcome.OK

    def test_keys_are_kept_verbatim_so_000121_and_121_are_two_students(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        assert student(session, "000121").given_name == "Sem"
        assert student(session, "121").given_name == "Noor"
        assert student(session, "121").family_name is None

    def test_a_formula_in_a_name_is_stored_as_plain_text(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr(students=STUDENTS.replace(">Noor<", ">=1+1<")))
        assert student(session, "121").given_name == "=1+1"

    def test_a_board_given_by_code_is_created_with_the_code_as_name(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        report = run(session, tmp_file, uwlr(), board="NEWBOARD")
        assert report.board_id is not None


class TestReimport:
    def test_the_same_file_twice_changes_nothing_and_records_no_changes(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        before = dump(session)
        report = run(session, tmp_file, uwlr())
        assert all(c["added"] == c["changed"] == c["removed"] == 0 for c in report.counts.values())
        assert changes(session, report) == []
        assert dump(session) == before

    def test_a_changed_name_is_recorded_with_the_field_that_changed(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        report = run(session, tmp_file, uwlr(students=STUDENTS.replace(">Jansen<", ">Janssen<")))
        assert changes(session, report) == [("student", "changed", ["family_name"])]
        assert report.counts["student"] == {"added": 0, "changed": 1, "removed": 0, "total": 2}

    def test_a_student_who_disappears_is_removed_with_an_end_of_enrolment(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        without_noor = STUDENTS.replace(
            '<le:leerling key="121"><le:roepnaam>Noor</le:roepnaam><le:groep key="Groep 1/Ä"/>'
            "</le:leerling>",
            "",
        )
        report = run(session, tmp_file, uwlr(students=without_noor))
        noor = student(session, "121")
        assert noor.removed_at is not None
        assert noor.enrolment_end == TODAY
        assert changes(session, report) == [
            ("student", "removed", None),
            ("student_membership", "removed", None),
        ]
        live = session.scalar(
            select(func.count())
            .select_from(StudentMembership)
            .where(StudentMembership.student_id == noor.id, StudentMembership.removed_at.is_(None))
        )
        assert live == 0

    def test_a_student_who_comes_back_keeps_the_same_internal_id(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        first_id = student(session, "121").id
        run(session, tmp_file, uwlr(students=STUDENTS.replace('key="121"', 'key="122"')))
        report = run(session, tmp_file, uwlr())
        noor = student(session, "121")
        assert (noor.id, noor.removed_at, noor.enrolment_end) == (first_id, None, None)
        assert ("student", "added", ["enrolment_end"]) in changes(session, report)

    @pytest.mark.parametrize("answer", ["geengegevens", "geenwijzigingen"])
    def test_an_answer_without_data_never_wipes_the_school(
        self, session: Session, tmp_file: WriteFile, answer: str
    ) -> None:
        run(session, tmp_file, uwlr())
        before = dump(session)
        data = f'<leerlinggegevens_antwoord xmlns="{LG_NS}"><{answer}/></leerlinggegevens_antwoord>'
        report = run(session, tmp_file, data.encode())
        assert report.counts["student"] == {"added": 0, "changed": 0, "removed": 0, "total": 2}
        assert dump(session) == before


class TestSqliteCache:
    def test_the_connection_gets_its_own_cache_size_back_after_an_import(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("a SQLite connection setting")
        size = session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()
        run(session, tmp_file, uwlr())
        assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one() == size

    def test_a_failure_inside_the_sync_gives_the_cache_size_back_too(
        self, session: Session
    ) -> None:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("a SQLite connection setting")
        writer = Writer(session)
        size = session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()
        inside: list[int] = []

        def refuse_halfway() -> None:
            with writer.roomy_cache():
                inside.append(
                    session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()
                )
                raise ImportFailed("refused halfway")

        with pytest.raises(ImportFailed):
            refuse_halfway()
        assert inside == [-SYNC_CACHE_KIB]
        assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one() == size


class TestRefusedImport:
    @pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
    def test_hostile_input_changes_nothing_and_leaves_one_history_row(
        self, session: Session, tmp_file: WriteFile, data: bytes, message: str
    ) -> None:
        run(session, tmp_file, uwlr())
        before = dump(session)
        result = import_snapshot(session, lambda: parse_uwlr(tmp_file(data), today=TODAY))
        assert isinstance(result, ImportFailed)
        assert dump(session) == before
        history = last_run(session)
        assert history.outcome is ImportOutcome.ERROR
        assert f"{history.location}: {history.error}" == message

    def test_an_unknown_board_is_not_created_when_the_import_fails(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        before = dump(session)
        bad = uwlr(students=STUDENTS.replace("2019-03-04", "2023-02-30"))
        result = import_snapshot(session, lambda: parse_uwlr(tmp_file(bad), today=TODAY), "NEW")
        assert isinstance(result, KoppelvlakError)
        assert dump(session) == before
        assert last_run(session).board_id is None

    def test_without_a_board_code_and_several_boards_the_import_is_refused(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        session.add_all([BoardFactory(), BoardFactory()])
        session.flush()
        before = dump(session)
        result = import_snapshot(session, lambda: parse_uwlr(tmp_file(uwlr()), today=TODAY), None)
        assert str(result) == (
            "export.xml: cannot tell which board this school belongs to; expected --board CODE"
        )
        assert dump(session) == before


class TestChangeLog:
    def test_a_first_import_logs_one_added_row_for_the_school_and_none_for_its_rows(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        report = run(session, tmp_file, uwlr())
        assert changes(session, report) == [("school", "added", None)]

    def test_what_a_first_import_added_is_every_row_of_the_school_made_at_its_moment(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        report = run(session, tmp_file, uwlr())
        school_id, at = session.execute(
            select(RosterChange.entity_id, RosterChange.at).where(
                RosterChange.import_run_id == report.run_id
            )
        ).one()
        students = session.scalars(select(Student).where(Student.school_id == school_id)).all()
        groups = session.scalars(select(Group).where(Group.school_id == school_id)).all()
        members = session.scalars(
            select(StudentMembership).where(
                StudentMembership.student_id.in_([s.id for s in students])
            )
        ).all()
        assert len(students) == 2
        assert len(groups) == 2
        assert len(members) == 3
        made = [s.created_at for s in students] + [g.created_at for g in groups]
        assert {*made, *(m.created_at for m in members)} == {at}

    def test_every_added_row_in_a_known_school_is_logged_with_its_kind(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        report = run(session, tmp_file, uwlr(students=STUDENTS.replace('key="121"', 'key="122"')))
        assert changes(session, report) == [
            ("student", "added", None),
            ("student", "removed", None),
            ("student_membership", "added", None),
            ("student_membership", "removed", None),
        ]

    def test_removal_dates_are_not_moved_later_than_a_known_end(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        ended = STUDENTS.replace(
            '<le:groep key="Groep 1/Ä"/></le:leerling></le:leerlingen>',
            '<le:groep key="Groep 1/Ä"/><le:uitstroomdatum>2026-07-01</le:uitstroomdatum>'
            "</le:leerling></le:leerlingen>",
        )
        run(session, tmp_file, uwlr(students=ended))
        assert student(session, "121").enrolment_end == date(2026, 7, 1)
        run(session, tmp_file, uwlr(students=STUDENTS.replace('key="121"', 'key="122"')))
        assert student(session, "121").enrolment_end == date(2026, 7, 1)


class TestOneRosterImport:
    def test_a_bulk_package_adds_guardians_and_a_delta_removes_what_it_marks(
        self, session: Session, tmp_path: Path
    ) -> None:
        bulk = write_package(tmp_path / "bulk")
        result = import_snapshot(session, lambda: parse_oneroster(bulk, today=TODAY), None)
        assert isinstance(result, ImportReport), str(result)
        assert result.counts["guardian"] == {"added": 1, "changed": 0, "removed": 0, "total": 1}
        assert result.counts["membership"]["total"] == 3
        delta = write_package(
            tmp_path / "delta",
            {
                "users": [{**OR_ROWS["users"][1], "status": "tobedeleted"}],
                "roles": [],
                "enrollments": [{**OR_ROWS["enrollments"][0], "status": "tobedeleted"}],
                "demographics": [],
                "classes": [],
                "orgs": OR_ROWS["orgs"],
            },
            mode="delta",
        )
        result = import_snapshot(session, lambda: parse_oneroster(delta, today=TODAY), None)
        assert isinstance(result, ImportReport), str(result)
        assert result.counts["student"] == {"added": 0, "changed": 0, "removed": 1, "total": 1}
        assert result.counts["membership"] == {"added": 0, "changed": 0, "removed": 2, "total": 1}
        assert student(session, "121").enrolment_end == TODAY
        assert student(session, "000121").removed_at is None

    def test_the_catalyst_sample_changes_nothing(self, session: Session, tmp_path: Path) -> None:
        run_bulk = write_package(tmp_path / "bulk")
        import_snapshot(session, lambda: parse_oneroster(run_bulk, today=TODAY), None)
        before = dump(session)
        result = import_snapshot(session, lambda: parse_oneroster(CATALYST, today=TODAY), None)
        assert isinstance(result, ImportFailed)
        assert dump(session) == before
        assert last_run(session).error == "\n".join(result.problems)

    def test_a_delta_that_refers_to_an_unknown_person_is_rolled_back_whole(
        self, session: Session, tmp_path: Path
    ) -> None:
        bulk = write_package(tmp_path / "bulk")
        import_snapshot(session, lambda: parse_oneroster(bulk, today=TODAY), None)
        before = dump(session)
        delta = write_package(
            tmp_path / "delta",
            {
                "users": [{**OR_ROWS["users"][0], "familyName": "Changed"}],
                "roles": [],
                "demographics": [],
                "classes": [],
                "orgs": OR_ROWS["orgs"],
                "enrollments": [
                    {**OR_ROWS["enrollments"][0], "sourcedId": "e9", "userSourcedId": "stranger"}
                ],
            },
            mode="delta",
        )
        result = import_snapshot(session, lambda: parse_oneroster(delta, today=TODAY), None)
        assert str(result) == (
            "a student membership refers to 'stranger', which is not a live record of this "
            "school; expected a known key"
        )
        assert dump(session) == before


def statements(session: Session) -> list[str]:
    """Every SQL statement the session's connection runs from now on (to see what is skipped)."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(session.connection(), "before_cursor_execute", record)
    return seen


class TestUnchangedSchoolIsSkipped:
    def test_a_re_sync_of_the_same_file_reads_no_people(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        seen = statements(session)
        report = run(session, tmp_file, uwlr())
        assert report.counts["student"] == {"added": 0, "changed": 0, "removed": 0, "total": 2}
        # Rows are loaded by "SELECT id, source_key, …" (people, groups, the board's guardians)
        # and "SELECT m.id, …" (memberships, guardianships).
        assert [s for s in seen if s.startswith(("SELECT id, source_key", "SELECT m.id"))] == []
        assert report.synced[0].empty

    def test_a_row_changed_by_anyone_else_makes_the_same_file_compare_in_full(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        student(session, "000121").family_name = "Edited"
        session.flush()
        report = run(session, tmp_file, uwlr())
        assert changes(session, report) == [("student", "changed", ["family_name"])]
        assert student(session, "000121").family_name == "Jansen"

    def test_another_file_in_between_makes_the_first_one_compare_in_full(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        run(session, tmp_file, uwlr(students=STUDENTS.replace(">Jansen<", ">Janssen<")))
        report = run(session, tmp_file, uwlr())
        assert changes(session, report) == [("student", "changed", ["family_name"])]

    def test_the_fingerprint_never_moves_the_school_s_last_modified_time(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        school = session.scalars(select(School)).one()
        assert school.sync_fingerprint is not None
        stamp = school.updated_at
        run(session, tmp_file, uwlr(students=STUDENTS.replace(">Jansen<", ">Janssen<")))
        session.refresh(school)
        assert school.updated_at == stamp


class TestSyncedChanges:
    def test_a_first_import_lists_everyone_and_every_group_of_the_school(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        report = run(session, tmp_file, uwlr())
        (synced,) = report.synced
        assert synced.school_changed
        assert synced.student_ids == ids(session, Student)
        assert synced.staff_ids == ids(session, Staff)
        assert synced.group_ids == ids(session, Group)

    def test_a_changed_name_lists_only_that_student(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        report = run(session, tmp_file, uwlr(students=STUDENTS.replace(">Jansen<", ">Janssen<")))
        (synced,) = report.synced
        assert (synced.school_changed, synced.staff_ids, synced.group_ids) == (
            False,
            frozenset(),
            frozenset(),
        )
        assert synced.student_ids == {student(session, "000121").id}

    def test_leaving_a_group_lists_the_student_and_the_group(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        without_plus = STUDENTS.replace(
            '<le:samengestelde_groepen><le:samengestelde_groep key="plus klas"/>'
            "</le:samengestelde_groepen>",
            "",
        )
        report = run(session, tmp_file, uwlr(students=without_plus))
        (synced,) = report.synced
        plus = session.scalars(select(Group).where(Group.source_key == "plus klas")).one()
        assert (synced.student_ids, synced.group_ids) == (
            {student(session, "000121").id},
            {plus.id},
        )

    def test_the_lists_match_the_change_log_of_the_run(
        self, session: Session, tmp_file: WriteFile
    ) -> None:
        run(session, tmp_file, uwlr())
        report = run(session, tmp_file, uwlr(students=STUDENTS.replace('key="121"', 'key="122"')))
        logged = set(
            session.scalars(
                select(RosterChange.entity_id).where(
                    RosterChange.import_run_id == report.run_id,
                    RosterChange.entity_kind == EntityKind.STUDENT,
                )
            )
        )
        (synced,) = report.synced
        assert synced.student_ids == logged
        assert len(logged) == 2  # 121 left, 122 came


def ids(session: Session, model: type[Student] | type[Staff] | type[Group]) -> frozenset[Any]:
    return frozenset(session.scalars(select(model.id)))
