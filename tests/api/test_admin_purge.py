"""The retention purge through the admin API: dry run, plan, DPO approval, run."""

from __future__ import annotations

from datetime import date

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.roster.models import Student
from tests.api.conftest import Api
from tests.factories.providers import T0, board_with_school
from tests.factories.roster import StudentFactory

PURGE = "/admin/api/v1/purge"


def _board(api: Api) -> tuple[str, str, dict[AdminRole, str]]:
    with api.runtime.unit_of_work() as session:
        board, school = board_with_school(session)
        gone: Student = StudentFactory(
            board_id=board.id, school_id=school.id, enrolment_end=date(2019, 7, 31)
        )
        stays: Student = StudentFactory(board_id=board.id, school_id=school.id)
        session.add_all([gone, stays])
        session.flush()
        tokens = {
            role: create_token(session, board.id, role, label=role.value, at=T0).token
            for role in AdminRole
        }
        return str(gone.id), str(stays.id), tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestThePurgeThroughTheApi:
    def test_dry_run_and_run_agree_and_a_second_dry_run_finds_nothing(self, api: Api) -> None:
        gone, _stays, tokens = _board(api)
        dry = api.client.get(f"{PURGE}/dry-run", headers=_auth(tokens[AdminRole.VIEWER]))
        assert dry.status_code == 200, dry.text
        assert [p["person_id"] for p in dry.json()["people"]] == [gone]

        made = api.client.post(f"{PURGE}/plans", json={}, headers=_auth(tokens[AdminRole.ADMIN]))
        assert made.status_code == 201, made.text
        plan = made.json()
        assert plan["state"] == "planned"
        assert plan["fingerprint"] == dry.json()["fingerprint"]

        by_admin = api.client.post(
            f"{PURGE}/plans/{plan['id']}/approve", headers=_auth(tokens[AdminRole.ADMIN])
        )
        assert by_admin.status_code == 403
        assert by_admin.json()["detail"] == "the admin role may not approve a purge plan"
        approved = api.client.post(
            f"{PURGE}/plans/{plan['id']}/approve", headers=_auth(tokens[AdminRole.DPO])
        )
        assert approved.json()["state"] == "approved"
        twice = api.client.post(
            f"{PURGE}/plans/{plan['id']}/approve", headers=_auth(tokens[AdminRole.DPO])
        )
        assert twice.status_code == 409

        ran = api.client.post(
            f"{PURGE}/plans/{plan['id']}/run", headers=_auth(tokens[AdminRole.ADMIN])
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["findings"]["people"] == dry.json()["people"]
        second = api.client.get(f"{PURGE}/dry-run", headers=_auth(tokens[AdminRole.DPO]))
        assert second.json()["people"] == []

    def test_another_boards_plan_is_not_found(self, api: Api) -> None:
        _, _, tokens = _board(api)
        _, _, others = _board(api)
        made = api.client.post(f"{PURGE}/plans", json={}, headers=_auth(tokens[AdminRole.DPO]))
        plan_id = made.json()["id"]
        foreign = api.client.post(
            f"{PURGE}/plans/{plan_id}/approve", headers=_auth(others[AdminRole.DPO])
        )
        assert foreign.status_code == 404
        assert (
            api.client.get(
                f"{PURGE}/plans/{plan_id}", headers=_auth(others[AdminRole.DPO])
            ).status_code
            == 404
        )
