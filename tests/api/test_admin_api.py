"""The admin JSON API: bearer tokens per board and role, decisions recorded with the actor."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.roster.models import Student
from tests.api.conftest import Api
from tests.factories.providers import T0, Setup, board_with_school, connected
from tests.factories.roster import StudentFactory


def _setup(api: Api, *, activate: bool = False) -> tuple[Setup, dict[AdminRole, str]]:
    with api.runtime.unit_of_work() as session:
        setup = connected(session, activate=activate)
        tokens = {
            role: create_token(session, setup.board.id, role, label=f"{role}-bot", at=T0).token
            for role in AdminRole
        }
    return setup, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestAuthentication:
    def test_without_a_token_the_answer_is_401_problem_json(self, api: Api) -> None:
        response = api.client.get("/admin/api/v1/connections")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "send an admin token as 'Authorization: Bearer <token>'"

    def test_a_wrong_token_is_refused(self, api: Api) -> None:
        _, tokens = _setup(api)
        forged = tokens[AdminRole.ADMIN][:-3] + "xyz"
        response = api.client.get("/admin/api/v1/connections", headers=_auth(forged))
        assert response.status_code == 401
        assert response.json()["detail"] == "the admin token is unknown, expired or revoked"


class TestDecisions:
    def test_an_admin_approves_and_the_history_names_the_token(self, api: Api) -> None:
        setup, tokens = _setup(api)
        url = f"/admin/api/v1/connections/{setup.connection.id}"
        response = api.client.post(f"{url}/approve", headers=_auth(tokens[AdminRole.ADMIN]))
        assert response.status_code == 200
        assert response.json()["state"] == "active"
        events = api.client.get(f"{url}/history", headers=_auth(tokens[AdminRole.VIEWER])).json()
        assert [(e["actor"], e["action"]) for e in events["events"]] == [
            ("admin:test", "request"),
            ("admin:admin-bot", "approve"),
        ]

    def test_a_viewer_may_not_decide(self, api: Api) -> None:
        setup, tokens = _setup(api)
        response = api.client.post(
            f"/admin/api/v1/connections/{setup.connection.id}/approve",
            headers=_auth(tokens[AdminRole.VIEWER]),
        )
        assert response.status_code == 403
        assert response.json()["detail"] == "the viewer role may not decide"

    def test_a_connection_of_another_board_is_not_found_and_stays_as_it_was(self, api: Api) -> None:
        setup, _ = _setup(api)
        with api.runtime.unit_of_work() as session:
            other, _school = board_with_school(session)
            stranger = create_token(session, other.id, AdminRole.ADMIN, label="x", at=T0).token
        response = api.client.post(
            f"/admin/api/v1/connections/{setup.connection.id}/approve", headers=_auth(stranger)
        )
        assert response.status_code == 404
        assert response.json()["detail"] == (
            f"no connection with id {setup.connection.id} in this board"
        )
        with api.runtime.unit_of_work() as session:
            from koppelvlak.connections.models import Connection

            row = session.get(Connection, setup.connection.id)
            assert row is not None
            assert row.state == "requested"

    def test_suspending_needs_a_reason(self, api: Api) -> None:
        setup, tokens = _setup(api, activate=True)
        response = api.client.post(
            f"/admin/api/v1/connections/{setup.connection.id}/suspend",
            headers=_auth(tokens[AdminRole.ADMIN]),
            json={},
        )
        assert response.status_code == 422


class TestExplain:
    def test_it_says_why_a_person_is_released(self, api: Api) -> None:
        setup, tokens = _setup(api, activate=True)
        with api.runtime.unit_of_work() as session:
            student: Student = StudentFactory(board_id=setup.board.id, school_id=setup.school.id)
            session.add(student)
            student_id = student.id
        response = api.client.get(
            f"/admin/api/v1/connections/{setup.connection.id}/explain/{student_id}",
            headers=_auth(tokens[AdminRole.DPO]),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["released"], body["reason"]) == (True, "released")
        assert body["attributes"] == {
            "student.given_name": "released",
            "student.year_group": "released",
        }

    def test_an_unknown_person_is_404(self, api: Api) -> None:
        setup, tokens = _setup(api, activate=True)
        nobody = uuid.UUID(int=5)
        response = api.client.get(
            f"/admin/api/v1/connections/{setup.connection.id}/explain/{nobody}",
            headers=_auth(tokens[AdminRole.VIEWER]),
        )
        assert response.status_code == 404


class TestLocking:
    def test_a_request_that_may_change_something_takes_the_write_lock_before_reading(
        self, api: Api
    ) -> None:
        if not api.runtime.is_sqlite:
            pytest.skip("PostgreSQL row locks wait by themselves; only SQLite needs this")
        setup, tokens = _setup(api)
        begun: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.startswith("BEGIN"):
                begun.append(statement)

        event.listen(api.runtime.engine, "before_cursor_execute", seen)
        try:
            url = f"/admin/api/v1/connections/{setup.connection.id}"
            viewed = api.client.get(url, headers=_auth(tokens[AdminRole.VIEWER]))
            read = list(begun)
            approved = api.client.post(f"{url}/approve", headers=_auth(tokens[AdminRole.ADMIN]))
        finally:
            event.remove(api.runtime.engine, "before_cursor_execute", seen)
        assert (viewed.status_code, approved.status_code) == (200, 200)
        assert (read, begun[len(read) :]) == (["BEGIN"], ["BEGIN IMMEDIATE"])
