"""Logging in, the dashboard of the demo board, logging out; wrong passwords lock the account."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Site, log_in, shoot

pytestmark = pytest.mark.e2e


class TestLogin:
    def test_the_demo_admin_logs_in_and_sees_the_demo_boards_dashboard(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Overzicht — Stichting Demoscholen"
        )
        assert "Koppelingen per status" in page.inner_text("main")
        assert page.locator("p.notice").first.inner_text().startswith("intact")
        shoot(page, "dashboard", docs=True)

    def test_the_session_cookie_is_httponly_and_samesite_lax(self, page: Any, site: Site) -> None:
        log_in(page, site)
        cookie = next(c for c in page.context.cookies() if c["name"] == "kv_session")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"

    def test_after_logging_out_the_dashboard_asks_for_a_login_again(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_url(f"{site.base_url}/login")
        page.goto(f"{site.base_url}/")
        assert page.url == f"{site.base_url}/login"
        shoot(page, "login", docs=True)
