"""The result batches through the admin API, each board only its own."""

from __future__ import annotations

from typing import Any

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from tests.api.conftest import Api
from tests.factories.history import import_and_result_history
from tests.factories.providers import T0, Setup, connected
from tests.factories.roster import StudentFactory


def _board(api: Api) -> tuple[Setup, str]:
    with api.runtime.unit_of_work(write=True) as session:
        setup = connected(session)
        student = StudentFactory(board_id=setup.board.id, school_id=setup.school.id)
        session.add(student)
        session.flush()
        import_and_result_history(
            session,
            board_id=setup.board.id,
            code=setup.board.code,
            connection_id=setup.connection.id,
            provider_id=setup.provider.id,
            brin=setup.school.brin,
            student_id=student.id,
        )
        token = create_token(session, setup.board.id, AdminRole.VIEWER, label="v", at=T0).token
    return setup, token


def _get(api: Api, url: str, token: str) -> Any:
    answer = api.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


class TestResultBatches:
    def test_a_batch_counts_its_results_and_students(self, api: Api) -> None:
        setup, token = _board(api)
        _board(api)
        (batch,) = _get(api, "/admin/api/v1/result-batches", token)["result_batches"]
        assert batch["connection_id"] == str(setup.connection.id)
        assert batch["school"] == f"{setup.school.brin}00"
        assert (batch["results"], batch["students"]) == (2, 1)

    def test_without_a_token_it_is_refused(self, api: Api) -> None:
        assert api.client.get("/admin/api/v1/result-batches").status_code == 401
