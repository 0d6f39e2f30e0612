"""The registers page: links to the processing and storage registers, served as the admin API
serves them, under a policy that allows their inline style and nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Scene


class TestRegisters:
    def test_the_page_links_both_registers(self, viewer: TestClient) -> None:
        page = viewer.get("/registers").text
        for link in ("/registers/processing.html", "/registers/storage.csv"):
            assert link in page

    def test_the_processing_register_names_the_boards_provider(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        answer = viewer.get("/registers/processing.html")
        assert answer.status_code == 200
        assert scene.provider in answer.text
        policy = answer.headers["content-security-policy"]
        assert "script-src" not in policy
        assert "default-src 'none'" in policy

    def test_the_storage_register_downloads_as_csv(self, viewer: TestClient) -> None:
        answer = viewer.get("/registers/storage.csv")
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        assert "deletion_notice" in answer.text

    def test_an_unknown_register_or_format_is_not_found(self, viewer: TestClient) -> None:
        assert viewer.get("/registers/secret.html").status_code == 404
        assert viewer.get("/registers/storage.json").status_code == 404
