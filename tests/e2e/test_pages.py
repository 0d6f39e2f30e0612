"""The English toggle, and axe-core on the main pages: no serious or critical violation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Site, log_in, shoot

pytestmark = pytest.mark.e2e


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


class TestLanguage:
    def test_the_english_link_switches_every_page_until_dutch_is_chosen_again(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"{site.base_url}/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Dashboard")
        page.get_by_role("link", name="Connections").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Connections"
        assert page.locator("html").get_attribute("lang") == "en"
        shoot(page, "connections-en", docs=True)
        page.get_by_role("link", name="Nederlands").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Koppelingen"


class TestAccessibility:
    @pytest.mark.parametrize(
        "path", ["/", "/connections", "/providers", "/activity", "connection", "provider"]
    )
    def test_axe_finds_no_serious_violation(self, page: Any, site: Site, path: str) -> None:
        log_in(page, site)
        if path == "connection":
            page.goto(f"{site.base_url}/connections")
            page.get_by_role("link", name="Doorstroomtoets").click()
        elif path == "provider":
            page.goto(f"{site.base_url}/providers")
            page.get_by_role("link", name="Leesland B.V.").click()
        else:
            page.goto(f"{site.base_url}{path}")
        assert _serious(page) == []

    def test_axe_finds_no_serious_violation_on_the_login_page(self, page: Any, site: Site) -> None:
        page.goto(f"{site.base_url}/login")
        assert _serious(page) == []

    def test_the_skip_link_is_the_first_stop_of_the_keyboard(self, page: Any, site: Site) -> None:
        log_in(page, site)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"


class TestExplain:
    def test_explain_and_the_person_page_say_why_and_pass_axe(self, page: Any, site: Site) -> None:
        log_in(page, site)
        page.goto(f"{site.base_url}/connections")
        page.get_by_role("link", name="HuiswerkHulp").click()
        page.get_by_label("Leerling of medewerker (nummer, naam of id)").fill("V1001")
        page.get_by_role("button", name="Leg uit").click()
        verdict = page.locator("#verdict").inner_text()
        assert verdict.startswith("Wordt niet gedeeld — Reden: no_parental_consent")
        assert _serious(page) == []
        page.get_by_role("link", name=re.compile("^Persoon ")).click()
        assert "HuiswerkHulp" in page.inner_text("main")
        assert _serious(page) == []
        shoot(page, "person", docs=True)
