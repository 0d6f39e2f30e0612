"""The record pages in a real Chromium: reachable from the navigation, and axe-core finds no
serious or critical violation on any of them (one browser page, one login, to stay cheap)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Site, log_in
from tests.e2e.test_pages import _serious

pytestmark = pytest.mark.e2e

PAGES = {
    "/deletion-notices": "Verwijderverzoeken",
    "/deliveries": "Leveringen aan aanbieders",
    "/rights-requests": "AVG-verzoeken",
    "/incident-reports": "Incidenten",
    "/imports": "Imports uit de leerlingadministratie",
    "/results": "Teruggestuurde resultaten",
    "/mandates": "Machtigingen",
    "/registers": "Registers",
}


class TestRecordPages:
    def test_each_is_in_the_navigation_and_passes_axe(self, page: Any, site: Site) -> None:
        log_in(page, site)
        found: dict[str, list[str]] = {}
        for path, heading in PAGES.items():
            page.locator(f'header nav a[href="{path}"]').click()
            page.wait_for_url(f"{site.base_url}{path}")
            assert page.get_by_role("heading", level=1).inner_text() == heading
            found[path] = _serious(page)
        assert found == {path: [] for path in PAGES}
