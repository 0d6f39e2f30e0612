"""Round trips: demo board → generated LAS files → empty board → the same roster.

The files come from the benchmark generator (``bench/generate.py``); every UWLR file it writes
validates against the official UWLR 2.2 XSD.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bench.export_oneroster import export_oneroster
from bench.export_uwlr import export_uwlr
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.roster.demo import build_demo_board, remove_board
from koppelvlak.roster.importers.oneroster_map import parse_oneroster
from koppelvlak.roster.importers.uwlr import parse_uwlr
from koppelvlak.roster.models import (
    Board,
    Group,
    Guardian,
    Guardianship,
    School,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)
from koppelvlak.roster.school_sync import STAFF_FIELDS, STUDENT_FIELDS
from koppelvlak.roster.service import ImportReport
from tests.roster.conftest import import_snapshot, uwlr_schema


def _live(session: Session, model: Any, *where: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.removed_at.is_(None), *where)))


def picture(session: Session, board_id: uuid.UUID, *, via_uwlr: bool) -> dict[str, Any]:
    """The roster by source keys, without internal ids or stamps; UWLR-only losses mapped."""
    result: dict[str, Any] = {}
    students_by_id: dict[uuid.UUID, str] = {}
    for school in _live(session, School, School.board_id == board_id):
        groups = {g.id: g for g in _live(session, Group, Group.school_id == school.id)}
        students = {s.id: s for s in _live(session, Student, Student.school_id == school.id)}
        staff = {s.id: s for s in _live(session, Staff, Staff.school_id == school.id)}
        students_by_id.update({i: s.source_key for i, s in students.items()})

        def kind(group: Group) -> str:
            # UWLR has no teaching group: it travels as a samengestelde_groep.
            return (
                "composite_group"
                if via_uwlr and group.kind.value == "teaching_group"
                else group.kind.value
            )

        result[f"{school.brin}{school.location_code}"] = {
            "school": (school.sector.value, None if via_uwlr else school.name),
            "groups": {
                g.source_key: (kind(g), g.name, g.description, g.year_group)
                for g in groups.values()
            },
            "students": {
                s.source_key: tuple(str(getattr(s, f)) for f in STUDENT_FIELDS)
                for s in students.values()
            },
            "staff": {
                s.source_key: tuple(str(getattr(s, f)) for f in STAFF_FIELDS)
                for s in staff.values()
            },
            "student_links": sorted(
                (students[m.student_id].source_key, groups[m.group_id].source_key)
                for m in _live(session, StudentMembership, StudentMembership.group_id.in_(groups))
            ),
            "staff_links": sorted(
                (staff[m.staff_id].source_key, groups[m.group_id].source_key, str(m.role))
                for m in _live(session, StaffMembership, StaffMembership.group_id.in_(groups))
            ),
        }
    if not via_uwlr:
        guardians = {g.id: g for g in _live(session, Guardian, Guardian.board_id == board_id)}
        result["guardians"] = {
            g.source_key: (g.family_name, g.name_prefix, g.given_name, g.email, g.phone)
            for g in guardians.values()
        }
        result["guardianships"] = sorted(
            (guardians[link.guardian_id].source_key, students_by_id[link.student_id], link.relation)
            for link in _live(session, Guardianship, Guardianship.board_id == board_id)
        )
    return result


def demo_board(session: Session, students: int, school_year: str) -> uuid.UUID:
    return build_demo_board(session, students=students, seed=5, school_year=school_year).board_id


class TestUwlrRoundTrip:
    def test_a_demo_board_exported_as_uwlr_imports_to_the_same_roster(
        self, session: Session, tmp_path: Path
    ) -> None:
        board_id = demo_board(session, 240, "2025-2026")
        before = picture(session, board_id, via_uwlr=True)
        files = export_uwlr(session, board_id, tmp_path)
        remove_board(session, board_id)
        for path in files:
            result = import_snapshot(session, lambda p=path: parse_uwlr(p, today=_today()), "DEMO")
            assert isinstance(result, ImportReport), str(result)
            assert result.warnings == ()
        board = session.scalars(select(Board.id).where(Board.code == "DEMO")).one()
        assert picture(session, board, via_uwlr=True) == before

    def test_generated_files_validate_against_the_official_xsd(
        self, session: Session, tmp_path: Path
    ) -> None:
        board_id = demo_board(session, 120, "2025-2026")
        schema = uwlr_schema(overlay=True)
        for path in export_uwlr(session, board_id, tmp_path):
            assert schema.validate(etree.parse(str(path))), schema.error_log

    def test_a_2024_2025_file_validates_against_the_pristine_xsd(
        self, session: Session, tmp_path: Path
    ) -> None:
        board_id = demo_board(session, 120, "2024-2025")
        schema = uwlr_schema(overlay=False)
        for path in export_uwlr(session, board_id, tmp_path, soap=False):
            assert schema.validate(etree.parse(str(path))), schema.error_log

    @pytest.mark.parametrize("soap", [True])
    def test_the_soap_wrapped_export_imports_too(
        self, session: Session, tmp_path: Path, soap: bool
    ) -> None:
        board_id = demo_board(session, 60, "2025-2026")
        before = picture(session, board_id, via_uwlr=True)
        files = export_uwlr(session, board_id, tmp_path, soap=soap)
        remove_board(session, board_id)
        for path in files:
            result = import_snapshot(session, lambda p=path: parse_uwlr(p, today=_today()), "DEMO")
            assert isinstance(result, ImportReport), str(result)
        board = session.scalars(select(Board.id).where(Board.code == "DEMO")).one()
        assert picture(session, board, via_uwlr=True) == before


def _today() -> Any:
    from koppelvlak.kit.clock import today

    return today()


class TestOneRosterRoundTrip:
    def test_a_demo_board_exported_as_oneroster_imports_to_the_same_roster(
        self, session: Session, tmp_path: Path
    ) -> None:
        board_id = demo_board(session, 240, "2025-2026")
        before = picture(session, board_id, via_uwlr=False)
        export_oneroster(session, board_id, tmp_path)
        remove_board(session, board_id)
        result = import_snapshot(session, lambda: parse_oneroster(tmp_path, today=_today()), None)
        assert isinstance(result, ImportReport), str(result)
        assert result.warnings == ()
        board = session.scalars(select(Board.id).where(Board.code == "DEMO")).one()
        assert picture(session, board, via_uwlr=False) == before

    def test_a_zipped_package_imports_the_same_as_a_folder(
        self, session: Session, tmp_path: Path
    ) -> None:
        board_id = demo_board(session, 60, "2025-2026")
        before = picture(session, board_id, via_uwlr=False)
        export_oneroster(session, board_id, tmp_path / "package")
        with zipfile.ZipFile(tmp_path / "package.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((tmp_path / "package").iterdir()):
                archive.write(path, path.name)
        remove_board(session, board_id)
        zipped = tmp_path / "package.zip"
        result = import_snapshot(session, lambda: parse_oneroster(zipped, today=_today()), None)
        assert isinstance(result, ImportReport), str(result)
        board = session.scalars(select(Board.id).where(Board.code == "DEMO")).one()
        assert picture(session, board, via_uwlr=False) == before
