"""The record pages: deletion notices, deliveries and their retry, incidents, mandates.

A viewer sees every list; only an admin may send a dead delivery again, with the form token;
another board's delivery answers 404 and stays dead.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from koppelvlak.app import create_app
from tests.web.conftest import SUMMARY, Scene, csrf_of


class TestNotices:
    def test_the_overdue_notice_shows_its_provider_and_reason(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        answer = viewer.get("/deletion-notices?state=overdue")
        assert answer.status_code == 200
        assert scene.provider in answer.text
        assert "gewist op verzoek" in answer.text

    def test_the_open_list_marks_it_late(self, viewer: TestClient) -> None:
        assert "te laat" in viewer.get("/deletion-notices").text

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
        answer = viewer.post(f"/deliveries/{scene.delivery_id}/retry", data={"csrf": csrf_of(page)})
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
        token = csrf_of(admin.get("/deliveries").text)
        answer = admin.post(f"/deliveries/{scene.other_delivery_id}/retry", data={"csrf": token})
        assert answer.status_code == 404
        assert scene.delivery_state(scene.other_delivery_id) == "dead"

    def test_an_admin_sends_a_dead_letter_again(self, scene: Scene, admin: TestClient) -> None:
        scene.kill(scene.delivery_id)
        page = admin.get("/deliveries?state=dead").text
        assert f"/deliveries/{scene.delivery_id}/retry" in page
        answer = admin.post(
            f"/deliveries/{scene.delivery_id}/retry",
            data={"csrf": csrf_of(page)},
            follow_redirects=False,
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/deliveries?done=retry")
        assert scene.delivery_state(scene.delivery_id) == "pending"
        assert "delivery_retry" in admin.get("/activity").text


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
