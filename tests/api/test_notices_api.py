"""Deletion notices over HTTP: only the provider's own, once, with its OAuth2 bearer token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from koppelvlak.audit import service as audit
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.delivery import notices
from koppelvlak.delivery.models import DeletionNotice
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import credentials
from tests.api.conftest import Api
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, Setup, board_with_school, connected
from tests.factories.roster import StudentFactory


@dataclass
class Scene:
    setup: Setup
    notice_id: uuid.UUID
    token: str  # the notice's provider
    stranger: str  # another provider's token
    admin: str  # a viewer of the notice's board


def _token(api: Api, client_id: str, secret: str) -> str:
    answer = api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def scene(api: Api) -> Scene:
    with api.runtime.unit_of_work(write=True) as session:
        board, school = board_with_school(session)
        setup = connected(session, board=board, school=school)
        other = connected(session, board=board, school=school)
        student = StudentFactory(board_id=board.id, school_id=school.id)
        session.add(student)
        keys = [credentials.create_credential(session, s.provider.id, T0) for s in (setup, other)]
        viewer = create_token(session, board.id, AdminRole.VIEWER, label="v", at=T0).token
    with api.runtime.unit_of_work(write=True) as session:
        audit.record(
            session,
            DisclosureFactory(
                board_id=board.id,
                provider_id=setup.provider.id,
                connection_id=setup.connection.id,
                person_ids=frozenset({student.id}),
            ),
        )
    with api.runtime.unit_of_work(write=True) as session:
        (notice,) = notices.notify_erasure(
            session, board_id=board.id, person_id=student.id, at=utcnow()
        )
    mine, theirs = (_token(api, k.client_id, k.client_secret) for k in keys)
    return Scene(setup, notice.id, mine, theirs, viewer)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _stored(api: Api, notice_id: uuid.UUID) -> DeletionNotice:
    with api.runtime.unit_of_work() as session:
        found = session.get(DeletionNotice, notice_id)
        assert found is not None
        return found


class TestAcknowledging:
    def test_the_provider_lists_its_open_notice_and_acknowledges_it(
        self, api: Api, scene: Scene
    ) -> None:
        listed = api.client.get("/notices?status=open", headers=_bearer(scene.token)).json()
        assert [n["id"] for n in listed["notices"]] == [str(scene.notice_id)]
        assert listed["notices"][0]["reason"] == "erasure"

        answer = api.client.post(f"/notices/{scene.notice_id}/ack", headers=_bearer(scene.token))

        assert answer.status_code == 200, answer.text
        assert answer.json()["acknowledgedAt"] is not None
        assert _stored(api, scene.notice_id).acknowledged_at is not None
        still = api.client.get("/notices?status=open", headers=_bearer(scene.token)).json()
        assert still["notices"] == []

    def test_a_replay_is_409_with_the_first_time_and_changes_nothing(
        self, api: Api, scene: Scene
    ) -> None:
        first = api.client.post(f"/notices/{scene.notice_id}/ack", headers=_bearer(scene.token))
        replay = api.client.post(f"/notices/{scene.notice_id}/ack", headers=_bearer(scene.token))

        assert replay.status_code == 409
        assert replay.headers["content-type"] == "application/problem+json"
        assert replay.json()["acknowledgedAt"] == first.json()["acknowledgedAt"]
        stored = _stored(api, scene.notice_id)
        assert stored.acknowledged_at is not None
        assert stored.acknowledged_at.isoformat()[:19] == first.json()["acknowledgedAt"][:19]


class TestRefusedAcknowledgements:
    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer "}],
        ids=["unsigned", "not-bearer", "empty"],
    )
    def test_without_a_bearer_token_401(
        self, api: Api, scene: Scene, headers: dict[str, str]
    ) -> None:
        answer = api.client.post(f"/notices/{scene.notice_id}/ack", headers=headers)
        assert answer.status_code == 401
        assert _stored(api, scene.notice_id).acknowledged_at is None

    def test_a_forged_token_401(self, api: Api, scene: Scene) -> None:
        head, payload, _signature = scene.token.split(".")
        forged = f"{head}.{payload}.{'A' * 43}"
        answer = api.client.post(f"/notices/{scene.notice_id}/ack", headers=_bearer(forged))
        assert answer.status_code == 401
        assert _stored(api, scene.notice_id).acknowledged_at is None

    def test_another_providers_notice_is_404_like_an_unknown_one(
        self, api: Api, scene: Scene
    ) -> None:
        foreign = api.client.post(
            f"/notices/{scene.notice_id}/ack", headers=_bearer(scene.stranger)
        )
        unknown = api.client.post(f"/notices/{uuid.uuid4()}/ack", headers=_bearer(scene.token))

        assert (foreign.status_code, unknown.status_code) == (404, 404)
        assert foreign.json()["title"] == unknown.json()["title"]
        assert _stored(api, scene.notice_id).acknowledged_at is None
        theirs = api.client.get("/notices?status=all", headers=_bearer(scene.stranger)).json()
        assert theirs["notices"] == []

    def test_a_malformed_id_is_a_clear_422(self, api: Api, scene: Scene) -> None:
        answer = api.client.post("/notices/not-a-uuid/ack", headers=_bearer(scene.token))
        assert answer.status_code == 422


class TestTheAdminView:
    def _list(self, api: Api, scene: Scene, state: str) -> list[dict[str, Any]]:
        answer = api.client.get(
            f"/admin/api/v1/notices?state={state}", headers=_bearer(scene.admin)
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["notices"])

    def test_open_then_acknowledged(self, api: Api, scene: Scene) -> None:
        assert [n["id"] for n in self._list(api, scene, "open")] == [str(scene.notice_id)]
        assert self._list(api, scene, "overdue") == []
        api.client.post(f"/notices/{scene.notice_id}/ack", headers=_bearer(scene.token))
        assert [n["id"] for n in self._list(api, scene, "acknowledged")] == [str(scene.notice_id)]
        assert self._list(api, scene, "open") == []

    def test_another_boards_admin_sees_none_of_them(self, api: Api, scene: Scene) -> None:
        with api.runtime.unit_of_work(write=True) as session:
            other, _school = board_with_school(session)
            stranger = create_token(session, other.id, AdminRole.ADMIN, label="x", at=T0).token
        answer = api.client.get("/admin/api/v1/notices?state=open", headers=_bearer(stranger))
        assert answer.json()["notices"] == []

    def test_an_unknown_state_is_422(self, api: Api, scene: Scene) -> None:
        answer = api.client.get("/admin/api/v1/notices?state=late", headers=_bearer(scene.admin))
        assert answer.status_code == 422
