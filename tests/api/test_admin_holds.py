"""Holds and erasure through the admin API: the role decides, another board's ids answer 404."""

from __future__ import annotations

import uuid
from typing import Any

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.roster.models import Student
from tests.api.conftest import Api
from tests.factories.providers import T0, board_with_school
from tests.factories.roster import StudentFactory

HOLDS = "/admin/api/v1/holds"


def _board(api: Api) -> tuple[uuid.UUID, dict[AdminRole, str]]:
    with api.runtime.unit_of_work() as session:
        board, school = board_with_school(session)
        student: Student = StudentFactory(board_id=board.id, school_id=school.id)
        session.add(student)
        session.flush()
        tokens = {
            role: create_token(session, board.id, role, label=role.value, at=T0).token
            for role in AdminRole
        }
        return student.id, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(api: Api, url: str, token: str, body: dict[str, Any]) -> Any:
    return api.client.post(url, json=body, headers=_auth(token))


class TestHoldsThroughTheApi:
    def test_a_dpo_places_and_lifts_a_hold_and_the_list_shows_it(self, api: Api) -> None:
        student, tokens = _board(api)
        placed = _post(
            api, HOLDS, tokens[AdminRole.DPO], {"person_id": str(student), "reason": "case 4"}
        )
        assert placed.status_code == 201, placed.text
        hold = placed.json()
        assert (hold["person_id"], hold["reason"], hold["placed_by"]) == (
            str(student),
            "case 4",
            "dpo:dpo",
        )
        listed = api.client.get(HOLDS, headers=_auth(tokens[AdminRole.VIEWER])).json()
        assert [h["id"] for h in listed["holds"]] == [hold["id"]]

        lifted = _post(api, f"{HOLDS}/{hold['id']}/lift", tokens[AdminRole.DPO], {"reason": "done"})
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["lifted_by"] == "dpo:dpo"
        assert api.client.get(HOLDS, headers=_auth(tokens[AdminRole.DPO])).json()["holds"] == []
        every = api.client.get(HOLDS, params={"all": "true"}, headers=_auth(tokens[AdminRole.DPO]))
        assert [h["id"] for h in every.json()["holds"]] == [hold["id"]]

    def test_a_viewer_may_not_place_one_and_a_bad_one_is_a_problem(self, api: Api) -> None:
        student, tokens = _board(api)
        refused = _post(
            api, HOLDS, tokens[AdminRole.VIEWER], {"person_id": str(student), "reason": "x"}
        )
        assert refused.status_code == 403
        blank = _post(api, HOLDS, tokens[AdminRole.DPO], {"person_id": str(student), "reason": ""})
        assert blank.status_code == 400
        assert blank.json()["detail"] == "a legal hold needs a reason"
        assert blank.headers["content-type"].startswith("application/problem+json")


class TestErasureThroughTheApi:
    def test_only_the_dpo_erases_and_a_held_person_is_refused(self, api: Api) -> None:
        student, tokens = _board(api)
        url = f"/admin/api/v1/people/{student}/erasure"
        assert _post(api, url, tokens[AdminRole.ADMIN], {}).status_code == 403
        _post(api, HOLDS, tokens[AdminRole.DPO], {"person_id": str(student), "reason": "case 9"})
        held = _post(api, url, tokens[AdminRole.DPO], {"request_ref": "AVG-1"})
        assert held.status_code == 409
        assert "case 9" in held.json()["detail"]

    def test_an_erasure_reports_what_went_and_another_boards_person_is_not_found(
        self, api: Api
    ) -> None:
        student, tokens = _board(api)
        other_student, other_tokens = _board(api)
        done = _post(
            api,
            f"/admin/api/v1/people/{student}/erasure",
            tokens[AdminRole.DPO],
            {"request_ref": "AVG-2"},
        )
        assert done.status_code == 200, done.text
        report = done.json()
        assert (report["person_kind"], report["request_ref"]) == ("student", "AVG-2")
        assert report["removed"]["student"] == 1
        assert report["notices"] == []  # no provider ever received this student
        foreign = _post(
            api, f"/admin/api/v1/people/{other_student}/erasure", tokens[AdminRole.DPO], {}
        )
        assert foreign.status_code == 404
        assert other_tokens  # the other board's person is still there for its own DPO
        again = _post(api, f"/admin/api/v1/people/{student}/erasure", tokens[AdminRole.DPO], {})
        assert again.status_code == 404
