"""The record pages in process on SQLite and PostgreSQL: notices, deliveries (and their retry),
rights requests, incidents, mandates, and the dashboard cards that point at them.

Each page is read logged in and must show the scene's own rows; another board's delivery or
request answers 404; a viewer sees the deliveries but the retry refuses them (403), as it refuses
a post without its form token; the rights pages are closed to viewers, as the admin API is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from koppelvlak.accounts import service as accounts
from koppelvlak.app import create_app
from koppelvlak.audit import service as audit
from koppelvlak.config import Settings
from koppelvlak.connections.models import AdminRole
from koppelvlak.delivery import notices, push
from koppelvlak.delivery.models import DeliveryOutbox
from koppelvlak.incidents import service as incidents
from koppelvlak.incidents.models import IncidentKind
from koppelvlak.kit.clock import utcnow
from koppelvlak.mandates import service as mandates
from koppelvlak.rights import requests
from koppelvlak.rights.models import RequestKind
from koppelvlak.runtime import Runtime
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, connected
from tests.factories.roster import StudentFactory

PASSWORD = "a-long-enough-password"
SUMMARY = "A test export was mailed to the wrong school."


@dataclass
class Scene:
    runtime: Runtime
    board: str
    delivery_id: uuid.UUID
    other_delivery_id: uuid.UUID
    request_id: uuid.UUID
    other_request_id: uuid.UUID
    provider: str

    def client(self, email: str, board: str | None = None) -> TestClient:
        """A browser logged in as ``email`` (each its own cookie jar)."""
        browser = TestClient(create_app(self.runtime), base_url="http://testserver")
        token = _csrf(browser.get("/login").text)
        answer = browser.post(
            "/login",
            data={
                "csrf": token,
                "board": board or self.board,
                "email": email,
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser

    def delivery_state(self, delivery_id: uuid.UUID) -> str:
        with self.runtime.unit_of_work() as session:
            return str(session.get(DeliveryOutbox, delivery_id).state)  # type: ignore[union-attr]

    def kill(self, delivery_id: uuid.UUID) -> None:
        with self.runtime.unit_of_work(write=True) as session:
            session.execute(
                update(DeliveryOutbox)
                .where(DeliveryOutbox.id == delivery_id)
                .values(state="dead", attempts=8, last_error="HTTP 500")
            )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def _board(runtime: Runtime) -> tuple[str, uuid.UUID, uuid.UUID, str]:
    """A connected board with a push delivery, an overdue notice, a request, an incident."""
    with runtime.unit_of_work(write=True) as session:
        setup = connected(session)
        student = StudentFactory(board_id=setup.board.id, school_id=setup.school.id)
        session.add(student)
        for email, role in (
            ("a@school.nl", AdminRole.ADMIN),
            ("v@school.nl", AdminRole.VIEWER),
            ("d@school.nl", AdminRole.DPO),
        ):
            accounts.create_account(session, setup.board.id, email, role, at=T0, password=PASSWORD)
        code, board_id, connection = setup.board.code, setup.board.id, setup.connection
        provider, school = setup.provider, setup.school.brin
    with runtime.unit_of_work(write=True) as session:
        audit.record(
            session,
            DisclosureFactory(
                board_id=board_id,
                provider_id=provider.id,
                connection_id=connection.id,
                person_ids=frozenset({student.id}),
            ),
        )
        push.register(
            session,
            board_id=board_id,
            connection_id=connection.id,
            url="https://provider.example/hook",
            actor="admin:test",
            at=utcnow(),
        )
    with runtime.unit_of_work(write=True) as session:
        notices.notify_erasure(
            session, board_id=board_id, person_id=student.id, at=utcnow() - timedelta(days=90)
        )
        filed = requests.file_request(
            session,
            board_id,
            requests.Filing(kind=RequestKind.ACCESS, person_id=student.id, actor="admin:test"),
            at=utcnow(),
        )
        incidents.report(
            session,
            provider_id=provider.id,
            reported_by="provider-test",
            kind=IncidentKind.SUSPECTED_BREACH,
            summary=SUMMARY,
            connection_ids=[connection.id],
            started_at=None,
            at=utcnow(),
        )
        mandates.grant(
            session,
            board_id,
            school=school,
            service="Logistiek Proces Eindtoets PO",
            party="87654321",
            valid_from=date(2025, 12, 1),
            valid_until=None,
            actor="admin:test",
            at=T0,
        )
        request_id = filed.id
        delivery_id = session.scalars(
            select(DeliveryOutbox.id).where(
                DeliveryOutbox.connection_id == connection.id, DeliveryOutbox.kind == "release"
            )
        ).one()
    return code, delivery_id, request_id, provider.name


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def scene(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Scene]:
    key_dir: Path = tmp_path_factory.mktemp("k")
    runtime = Runtime.from_settings(
        Settings(
            database_url=fresh_database_url(request.param),
            key_file=key_dir / "k.json",
            public_url="http://testserver",
        )
    )
    board, delivery_id, request_id, provider = _board(runtime)
    _, other_delivery, other_request, _ = _board(runtime)
    yield Scene(runtime, board, delivery_id, other_delivery, request_id, other_request, provider)
    runtime.engine.dispose()


@pytest.fixture(scope="module")
def admin(scene: Scene) -> TestClient:
    return scene.client("a@school.nl")


@pytest.fixture(scope="module")
def viewer(scene: Scene) -> TestClient:
    return scene.client("v@school.nl")


class TestDashboard:
    def test_it_counts_the_overdue_notices_and_lists_the_open_request(
        self, scene: Scene, admin: TestClient
    ) -> None:
        page = admin.get("/").text
        assert "/deletion-notices?state=overdue" in page
        assert f"/rights-requests/{scene.request_id}" in page

    def test_a_viewer_sees_the_notices_card_but_no_rights_requests(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        page = viewer.get("/").text
        assert "/deletion-notices?state=overdue" in page
        assert "/rights-requests" not in page


class TestNotices:
    def test_the_overdue_notice_shows_its_provider_and_reason(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        answer = viewer.get("/deletion-notices?state=overdue")
        assert answer.status_code == 200
        assert scene.provider in answer.text
        assert "gewist op verzoek" in answer.text

    def test_none_is_acknowledged_yet(self, viewer: TestClient) -> None:
        assert "Geen verwijderverzoeken" in viewer.get("/deletion-notices?state=acknowledged").text

    def test_logged_out_it_sends_you_to_the_login(self, scene: Scene) -> None:
        browser = TestClient(create_app(scene.runtime), base_url="http://testserver")
        answer = browser.get("/deletion-notices", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")


class TestDeliveries:
    def test_the_list_shows_the_boards_delivery_and_not_the_other_boards(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        page = viewer.get("/deliveries").text
        assert scene.provider in page
        assert "release" in page

    def test_a_viewer_gets_no_retry_button_and_a_403_on_the_post(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        scene.kill(scene.delivery_id)
        page = viewer.get("/deliveries?state=dead").text
        assert "/retry" not in page
        answer = viewer.post(f"/deliveries/{scene.delivery_id}/retry", data={"csrf": _csrf(page)})
        assert answer.status_code == 403
        assert scene.delivery_state(scene.delivery_id) == "dead"

    def test_a_retry_without_the_form_token_is_refused(
        self, scene: Scene, admin: TestClient
    ) -> None:
        scene.kill(scene.delivery_id)
        answer = admin.post(f"/deliveries/{scene.delivery_id}/retry", data={"csrf": ""})
        assert answer.status_code == 403
        assert scene.delivery_state(scene.delivery_id) == "dead"

    def test_another_boards_delivery_is_not_found_and_stays_dead(
        self, scene: Scene, admin: TestClient
    ) -> None:
        scene.kill(scene.other_delivery_id)
        token = _csrf(admin.get("/deliveries").text)
        answer = admin.post(f"/deliveries/{scene.other_delivery_id}/retry", data={"csrf": token})
        assert answer.status_code == 404
        assert scene.delivery_state(scene.other_delivery_id) == "dead"

    def test_an_admin_sends_a_dead_letter_again(self, scene: Scene, admin: TestClient) -> None:
        scene.kill(scene.delivery_id)
        page = admin.get("/deliveries?state=dead").text
        assert f"/deliveries/{scene.delivery_id}/retry" in page
        answer = admin.post(
            f"/deliveries/{scene.delivery_id}/retry",
            data={"csrf": _csrf(page)},
            follow_redirects=False,
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/deliveries?done=retry")
        assert scene.delivery_state(scene.delivery_id) == "pending"
        assert "delivery_retry" in admin.get("/activity").text


class TestRights:
    def test_the_dpo_sees_the_open_request_with_its_deadline_and_steps(self, scene: Scene) -> None:
        dpo = scene.client("d@school.nl")
        listed = dpo.get("/rights-requests").text
        assert f"/rights-requests/{scene.request_id}" in listed
        assert "inzage" in listed
        one = dpo.get(f"/rights-requests/{scene.request_id}")
        assert one.status_code == 200
        assert "filed" in one.text
        assert "admin:test" in one.text

    def test_another_boards_request_is_not_found(self, scene: Scene, admin: TestClient) -> None:
        assert admin.get(f"/rights-requests/{scene.other_request_id}").status_code == 404
        assert (
            f"/rights-requests/{scene.other_request_id}"
            not in admin.get("/rights-requests?show=all").text
        )

    def test_a_viewer_may_not_read_them(self, scene: Scene, viewer: TestClient) -> None:
        assert viewer.get("/rights-requests").status_code == 403
        assert viewer.get(f"/rights-requests/{scene.request_id}").status_code == 403


class TestIncidentsAndMandates:
    def test_the_incident_shows_its_72_hour_clock(self, viewer: TestClient) -> None:
        page = viewer.get("/incident-reports").text
        assert SUMMARY in page
        assert "loopt" in page

    def test_the_mandate_shows_its_service_and_status(self, viewer: TestClient) -> None:
        page = viewer.get("/mandates").text
        assert "Logistiek Proces Eindtoets PO" in page
        assert "geldig" in page

    def test_the_pages_speak_english_on_request(self, viewer: TestClient) -> None:
        viewer.get("/lang/en?next=/incident-reports")
        try:
            assert "72-hour clock" in viewer.get("/incident-reports").text
        finally:
            viewer.get("/lang/nl?next=/incident-reports")
