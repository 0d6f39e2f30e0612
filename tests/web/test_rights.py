"""The rights request pages: the DPO reads open requests and their steps; a viewer may not
(as in the admin API); another board's request answers 404.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Scene


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
