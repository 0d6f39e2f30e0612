"""Results pushed by a provider are stored under the connection, shown and exported to the LAS."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.errors import Conflict, NotFound
from koppelvlak.release.values import Release
from koppelvlak.results.errors import UnknownStudent
from koppelvlak.results.service import (
    export_csv,
    export_message,
    export_xml,
    list_results,
    read_csv,
    store_results,
)
from koppelvlak.results.uwlr_xml import read_message
from koppelvlak.roster.models import Student
from tests.factories import release_values
from tests.factories.roster import BoardFactory, SchoolFactory, StudentFactory
from tests.support.uwlr import assert_valid, leerresultaten_verzoek, uwlr_schema

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@dataclasses.dataclass
class World:
    release: Release
    students: list[Student]


@pytest.fixture
def world(session: Session) -> World:
    return _world(session)


def _world(session: Session) -> World:
    board = BoardFactory()
    school = SchoolFactory(board_id=board.id, brin="99XX")
    students = [
        StudentFactory(board_id=board.id, school_id=school.id, source_key=key, eckid=None)
        for key in ("000121", "121")
    ]
    session.add_all([board, school])
    session.flush()
    session.add_all(students)
    session.flush()
    people = tuple(
        dataclasses.replace(release_values.student(i + 1), person_id=s.id)
        for i, s in enumerate(students)
    )
    release = dataclasses.replace(
        release_values.release(people), board_id=board.id, connection_id=uuid.uuid4()
    )
    return World(release, students)


def _push(session: Session, world: World, rows: list[tuple[str, str, int]]) -> None:
    element = etree.fromstring(leerresultaten_verzoek(rows))
    assert_valid(element, uwlr_schema("UWLR_Leerresultaten_v2p2.xsd"))
    store_results(
        session,
        world.release,
        brin="99XX",
        location_code="00",
        message=read_message(element),
        received_at=NOW,
    )


class TestStoring:
    def test_results_are_shown_to_the_school_under_its_own_student_keys(
        self, session: Session, world: World
    ) -> None:
        _push(session, world, [("p-000001", "R1", 42), ("p-000002", "R2", 17)])
        rows = list_results(session, "99XX")
        assert [(r.student_key, r.result_key, r.score, r.test_name) for r in rows] == [
            ("000121", "R1", 42, "Rekenen M5"),
            ("121", "R2", 17, "Rekenen M5"),
        ]
        assert rows[0].connection_id == world.release.connection_id

    def test_a_result_key_sent_again_replaces_the_earlier_result(
        self, session: Session, world: World
    ) -> None:
        _push(session, world, [("p-000001", "R1", 42)])
        _push(session, world, [("p-000001", "R1", 43)])
        assert [(r.result_key, r.score) for r in list_results(session, "99XX")] == [("R1", 43)]

    def test_a_student_the_connection_cannot_see_is_refused_and_nothing_is_stored(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(UnknownStudent) as caught:
            _push(session, world, [("p-000001", "R1", 42), ("000121", "R2", 1)])
        assert caught.value.detail == (
            "leerlingid 000121 is not a student this connection may see (toetsafname 2)"
        )
        assert list_results(session, "99XX") == []

    def test_an_unknown_school_is_named(self, session: Session, world: World) -> None:
        with pytest.raises(NotFound, match="no school 11ZZ-00"):
            list_results(session, "11ZZ")


PUSHERS = 6
PUSHES = 8


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
class TestPushesAtOnce:
    def test_the_same_result_pushed_by_many_at_once_is_stored_once_without_errors(
        self, kind: str, fresh_database_url: Callable[[str], str]
    ) -> None:
        engine = make_engine(fresh_database_url(kind), pool_size=PUSHERS)
        with unit_of_work(session_factory(engine)) as session:
            world = _world(session)
        writers = session_factory(engine, write=True)
        start = threading.Barrier(PUSHERS)

        def pusher(number: int) -> list[int]:
            start.wait()
            scores = []
            for push in range(PUSHES):
                score = number * 100 + push
                with unit_of_work(writers) as session:
                    _push(session, world, [("p-000001", "SAME", score), ("p-000002", "R2", 1)])
                scores.append(score)
            return scores

        with ThreadPoolExecutor(PUSHERS) as pool:
            pushed = [pool.submit(pusher, number) for number in range(PUSHERS)]
            acknowledged = [score for done in pushed for score in done.result()]
        with unit_of_work(session_factory(engine)) as session:
            rows = list_results(session, "99XX")
        engine.dispose()
        assert len(acknowledged) == PUSHERS * PUSHES
        assert sorted(r.result_key for r in rows) == ["R2", "SAME"]
        assert next(r.score for r in rows if r.result_key == "SAME") in acknowledged


class TestExport:
    def test_the_uwlr_export_validates_and_round_trips(
        self, session: Session, world: World
    ) -> None:
        _push(session, world, [("p-000001", "R1", 42), ("p-000002", "R2", 17)])
        message = export_message(session, "99XX", at=NOW)
        document = etree.fromstring(export_xml(message))
        assert_valid(document, uwlr_schema("UWLR_Leerresultaten_v2p2.xsd"))
        again = read_message(document)
        assert again.sittings == message.sittings
        assert again.tests == message.tests
        assert [s.student_key for s in again.sittings] == ["000121", "121"]
        toetscode = document.find(".//{*}toets/{*}toetscode")
        assert toetscode is not None
        assert toetscode.get("vocabulaire") == "http://example.org/toetsen"

    def test_the_csv_export_round_trips(self, session: Session, world: World) -> None:
        _push(session, world, [("p-000001", "R1", 42)])
        rows = list_results(session, "99XX")
        parsed = read_csv(export_csv(rows))
        assert parsed == [
            {
                "brin": "99XX",
                "location_code": "00",
                "school_year": "2024-2025",
                "student_key": "000121",
                "eckid": "",
                "result_key": "R1",
                "test_code": "REK-M5",
                "test_name": "Rekenen M5",
                "part_code": "",
                "taken_on": "2025-01-14",
                "score": "42",
                "skill_score": "",
                "received_at": rows[0].received_at.isoformat(),
            }
        ]

    def test_a_cell_a_spreadsheet_would_run_is_defused(
        self, session: Session, world: World
    ) -> None:
        element = etree.fromstring(
            leerresultaten_verzoek([("p-000001", "R1", 1)], test_code="=1+1")
        )
        store_results(
            session, world.release, brin="99XX", location_code="00",
            message=read_message(element), received_at=NOW,
        )  # fmt: skip
        text = export_csv(list_results(session, "99XX"))
        assert ",'=1+1," in text
        assert read_csv(text)[0]["test_code"] == "=1+1"

    def test_nothing_to_export_is_said(self, session: Session, world: World) -> None:
        with pytest.raises(NotFound, match="no results for school 99XX-00"):
            export_message(session, "99XX", at=NOW)

    def test_several_school_years_must_be_chosen_between(
        self, session: Session, world: World
    ) -> None:
        for year, key in (("2023-2024", "R1"), ("2024-2025", "R2")):
            element = etree.fromstring(
                leerresultaten_verzoek([("p-000001", key, 1)], school_year=year)
            )
            store_results(
                session, world.release, brin="99XX", location_code="00",
                message=read_message(element), received_at=NOW,
            )  # fmt: skip
        with pytest.raises(Conflict, match="choose one with --school-year"):
            export_message(session, "99XX", at=NOW)
        assert len(export_message(session, "99XX", at=NOW, school_year="2023-2024").sittings) == 1
