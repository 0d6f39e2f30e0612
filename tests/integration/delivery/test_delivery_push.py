"""Push connections: the full release on approval, then changes and notices, to the endpoint."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from koppelvlak.audit import service as audit
from koppelvlak.config import Settings
from koppelvlak.connections import exceptions
from koppelvlak.connections import service as connections
from koppelvlak.delivery import push
from koppelvlak.delivery.errors import EndpointRefused
from koppelvlak.delivery.models import DeliveryOutbox, PushRegistration
from koppelvlak.errors import NotFound
from koppelvlak.kit.clock import utcnow
from koppelvlak.roster.models import Student
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school, connected
from tests.factories.roster import StudentFactory


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Runtime:
    return Runtime.from_settings(Settings(database_url=database_url, key_file=tmp_path / "k.json"))


def _bodies(runtime: Runtime, connection_id: uuid.UUID) -> list[dict[str, object]]:
    with runtime.unit_of_work() as session:
        rows = session.scalars(
            select(DeliveryOutbox)
            .where(DeliveryOutbox.connection_id == connection_id)
            .order_by(DeliveryOutbox.created_at)
        ).all()
        return [json.loads(r.body) for r in rows]


class TestAPushConnection:
    def test_gets_nothing_before_approval_and_its_whole_release_on_approval(
        self, runtime: Runtime
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            board, school = board_with_school(session)
            setup = connected(session, board=board, school=school, activate=False)
            session.add_all(
                StudentFactory(board_id=board.id, school_id=school.id) for _ in range(3)
            )
            push.register(
                session,
                board_id=board.id,
                connection_id=setup.connection.id,
                url="https://provider.example/koppelvlak",
                actor="admin:test",
                at=utcnow(),
            )
        assert _bodies(runtime, setup.connection.id) == []

        with runtime.unit_of_work(write=True) as session:
            connections.approve(
                session, board.id, setup.connection.id, actor="admin:test", at=utcnow()
            )

        (release,) = _bodies(runtime, setup.connection.id)
        assert release["kind"] == "release"
        objects = release["objects"]
        assert isinstance(objects, dict)
        assert len(objects["users"]) == 3
        assert {u["status"] for u in objects["users"]} == {"active"}

    def test_an_objection_pushes_the_tombstone_and_the_deletion_notice(
        self, runtime: Runtime
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            board, school = board_with_school(session)
            setup = connected(session, board=board, school=school)
            student = StudentFactory(board_id=board.id, school_id=school.id)
            session.add(student)
            push.register(
                session,
                board_id=board.id,
                connection_id=setup.connection.id,
                url="https://provider.example/koppelvlak",
                actor="admin:test",
                at=utcnow(),
            )
        (release,) = _bodies(runtime, setup.connection.id)
        (user,) = release["objects"]["users"]  # type: ignore[index]
        with runtime.unit_of_work(write=True) as session:
            exceptions.record_objection(
                session, board.id, setup.provider.id, student.id, actor="admin", at=utcnow()
            )

        kinds = {b["kind"]: b for b in _bodies(runtime, setup.connection.id)[1:]}
        assert set(kinds) == {"changes", "notice"}
        (gone,) = kinds["changes"]["objects"]["users"]  # type: ignore[index]
        assert (gone["sourcedId"], gone["status"]) == (user["sourcedId"], "tobedeleted")
        notice = kinds["notice"]["notice"]
        assert notice["sourcedId"] == user["sourcedId"]  # type: ignore[index]
        assert notice["reason"] == "objection"  # type: ignore[index]
        assert student.given_name not in json.dumps(kinds)

    def test_every_push_is_in_the_ledger_with_the_people_it_carried(self, runtime: Runtime) -> None:
        with runtime.unit_of_work(write=True) as session:
            board, school = board_with_school(session)
            setup = connected(session, board=board, school=school)
            student = StudentFactory(board_id=board.id, school_id=school.id)
            session.add(student)
            push.register(
                session,
                board_id=board.id,
                connection_id=setup.connection.id,
                url="https://provider.example/koppelvlak",
                actor="admin:test",
                at=utcnow(),
            )
        with runtime.unit_of_work() as session:
            (seen,) = audit.disclosures_for_person(session, board.id, student.id)
            (row,) = session.scalars(select(DeliveryOutbox)).all()
        assert (seen.channel, seen.connection_id, seen.entry_id) == (
            "push",
            setup.connection.id,
            row.ledger_entry_id,
        )
        assert seen.response_digest == row.body_digest


class TestRegistering:
    def test_refuses_plain_http_and_another_boards_connection_and_changes_nothing(
        self, runtime: Runtime
    ) -> None:
        with runtime.unit_of_work(write=True) as session:
            setup = connected(session)
            other, _school = board_with_school(session)
        cases: list[tuple[uuid.UUID, str, type[Exception]]] = [
            (setup.board.id, "http://provider.example/hook", EndpointRefused),
            (other.id, "https://provider.example/hook", NotFound),
        ]
        for board_id, url, refusal in cases:
            with pytest.raises(refusal), runtime.unit_of_work(write=True) as session:
                push.register(
                    session,
                    board_id=board_id,
                    connection_id=setup.connection.id,
                    url=url,
                    actor="admin:test",
                    at=utcnow(),
                )
        with runtime.unit_of_work() as session:
            assert session.scalars(select(PushRegistration)).all() == []
            assert session.scalars(select(DeliveryOutbox)).all() == []
            assert session.scalars(select(Student)).all() == []
