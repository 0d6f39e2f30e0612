"""The import history and the returned results: every role reads them, each only its board's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from koppelvlak.app import create_app
from tests.web.conftest import Scene


class TestImports:
    def test_lists_the_boards_runs_newest_first_with_the_refusal_and_its_reason(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        page = viewer.get("/imports").text
        assert page.index(f"{scene.board}-broken.xml") < page.index(f"{scene.board}-first.xml")
        assert "Geweigerd: not a UWLR file (line 1)" in page

    def test_shows_what_a_run_changed_and_its_warnings(self, viewer: TestClient) -> None:
        page = viewer.get("/imports").text
        assert "leerlingen +3 ~1 −0" in page
        assert "1 waarschuwing(en)" in page
        assert "leerling 7: geen geboortedatum" in page

    def test_shows_nothing_of_another_board(self, scene: Scene, viewer: TestClient) -> None:
        page = viewer.get("/imports").text
        assert page.count("-first.xml") == 1

    def test_logged_out_it_sends_you_to_the_login(self, scene: Scene) -> None:
        browser = TestClient(create_app(scene.runtime), base_url="http://testserver")
        answer = browser.get("/imports", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")


class TestResults:
    def test_a_batch_shows_its_provider_school_year_and_counts(
        self, scene: Scene, viewer: TestClient
    ) -> None:
        page = viewer.get("/results").text
        assert scene.provider in page
        assert "2025-2026" in page
        assert "<td>2</td><td>1</td>" in page  # two results about one student

    def test_shows_only_the_boards_own_batch(self, viewer: TestClient) -> None:
        assert viewer.get("/results").text.count("2025-2026") == 1

    def test_in_english_the_headings_follow(self, scene: Scene) -> None:
        browser = scene.client("v@school.nl")
        browser.get("/lang/en?next=/results")
        assert "Results sent back" in browser.get("/results").text
