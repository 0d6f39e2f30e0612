"""The admin API for push deliveries: list, inspect with attempts, retry a dead letter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.delivery import push
from koppelvlak.delivery.models import DeliveryOutbox
from koppelvlak.kit.clock import utcnow
from tests.api.conftest import Api
from tests.factories.providers import T0, board_with_school, connected
from tests.factories.roster import StudentFactory


@dataclass
class Scene:
    delivery_id: uuid.UUID
    viewer: str
    admin: str
    stranger: str


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def scene(api: Api) -> Scene:
    with api.runtime.unit_of_work(write=True) as session:
        setup = connected(session)
        session.add(StudentFactory(board_id=setup.board.id, school_id=setup.school.id))
        viewer = create_token(session, setup.board.id, AdminRole.VIEWER, label="v", at=T0).token
        admin = create_token(session, setup.board.id, AdminRole.ADMIN, label="a", at=T0).token
        other, _school = board_with_school(session)
        stranger = create_token(session, other.id, AdminRole.ADMIN, label="x", at=T0).token
    with api.runtime.unit_of_work(write=True) as session:
        push.register(
            session,
            board_id=setup.board.id,
            connection_id=setup.connection.id,
            url="https://provider.example/hook",
            actor="admin:test",
            at=utcnow(),
        )
    with api.runtime.unit_of_work() as session:
        (delivery_id,) = session.scalars(
            select(DeliveryOutbox.id).where(DeliveryOutbox.connection_id == setup.connection.id)
        ).all()
    return Scene(delivery_id, viewer, admin, stranger)


def _dead(api: Api, delivery_id: uuid.UUID) -> None:
    with api.runtime.unit_of_work(write=True) as session:
        session.execute(
            update(DeliveryOutbox)
            .where(DeliveryOutbox.id == delivery_id)
            .values(state="dead", attempts=8, last_error="HTTP 500")
        )


class TestDeliveries:
    def test_a_viewer_lists_them_without_bodies_and_sees_one_with_its_history(
        self, api: Api, scene: Scene
    ) -> None:
        listed = api.client.get("/admin/api/v1/deliveries", headers=_bearer(scene.viewer))
        assert listed.status_code == 200, listed.text
        (row,) = listed.json()["deliveries"]
        assert (row["id"], row["kind"], row["state"]) == (
            str(scene.delivery_id),
            "release",
            "pending",
        )
        assert "body" not in row
        one = api.client.get(
            f"/admin/api/v1/deliveries/{scene.delivery_id}", headers=_bearer(scene.viewer)
        )
        assert one.json()["history"] == []

    def test_an_admin_retries_a_dead_letter_and_a_viewer_may_not(
        self, api: Api, scene: Scene
    ) -> None:
        _dead(api, scene.delivery_id)
        url = f"/admin/api/v1/deliveries/{scene.delivery_id}/retry"
        assert api.client.post(url, headers=_bearer(scene.viewer)).status_code == 403
        dead = api.client.get("/admin/api/v1/deliveries?state=dead", headers=_bearer(scene.viewer))
        assert [d["id"] for d in dead.json()["deliveries"]] == [str(scene.delivery_id)]

        retried = api.client.post(url, headers=_bearer(scene.admin))

        assert retried.status_code == 200
        assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)

    def test_another_boards_delivery_is_404_and_stays_dead(self, api: Api, scene: Scene) -> None:
        _dead(api, scene.delivery_id)
        for answer in (
            api.client.get(
                f"/admin/api/v1/deliveries/{scene.delivery_id}", headers=_bearer(scene.stranger)
            ),
            api.client.post(
                f"/admin/api/v1/deliveries/{scene.delivery_id}/retry",
                headers=_bearer(scene.stranger),
            ),
        ):
            assert answer.status_code == 404
        mine = api.client.get("/admin/api/v1/deliveries?state=dead", headers=_bearer(scene.viewer))
        assert len(mine.json()["deliveries"]) == 1

    def test_an_unknown_state_is_422(self, api: Api, scene: Scene) -> None:
        answer = api.client.get(
            "/admin/api/v1/deliveries?state=lost", headers=_bearer(scene.viewer)
        )
        assert answer.status_code == 422
