"""The dashboard's cards: overdue deletion notices for everyone, open rights requests for the
roles that may read them.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Scene


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
