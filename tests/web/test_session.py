"""The pages in process on SQLite and PostgreSQL: login form token, cookies, logout, headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from koppelvlak.accounts import service as accounts
from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.connections.models import AdminRole
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school

PASSWORD = "a-long-enough-password"


class Site:
    def __init__(self, runtime: Runtime, public_url: str) -> None:
        self.runtime = runtime
        self.client = TestClient(create_app(runtime), base_url=public_url)
        with runtime.unit_of_work(write=True) as session:
            board, _ = board_with_school(session)
            self.board = board.code
            accounts.create_account(
                session, board.id, "a@school.nl", AdminRole.ADMIN, at=utcnow(), password=PASSWORD
            )

    def token(self, path: str = "/login") -> str:
        found = re.search(r'name="csrf" value="([^"]*)"', self.client.get(path).text)
        assert found is not None
        return found.group(1)

    def log_in(self) -> None:
        answer = self.client.post(
            "/login",
            data={
                "csrf": self.token(),
                "board": self.board,
                "email": "a@school.nl",
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text


def _site(kind: str, public_url: str, make: Callable[[str], str], key_dir: Path) -> Iterator[Site]:
    runtime = Runtime.from_settings(
        Settings(database_url=make(kind), key_file=key_dir / "k.json", public_url=public_url)
    )
    yield Site(runtime, public_url)
    runtime.engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    yield from _site(
        request.param, "http://testserver", fresh_database_url, tmp_path_factory.mktemp("k")
    )


class TestLoginForm:
    def test_a_login_post_without_the_forms_cookie_is_refused(self, site: Site) -> None:
        token = site.token()
        site.client.cookies.clear()
        answer = site.client.post(
            "/login",
            data={"csrf": token, "board": site.board, "email": "a@school.nl", "password": PASSWORD},
        )
        assert answer.status_code == 403
        assert "the form has no valid security token" in answer.text
        assert "kv_session" not in answer.cookies

    def test_a_login_sets_an_httponly_lax_session_cookie(self, site: Site) -> None:
        site.client.cookies.clear()
        token = site.token()
        answer = site.client.post(
            "/login",
            data={"csrf": token, "board": site.board, "email": "a@school.nl", "password": PASSWORD},
            follow_redirects=False,
        )
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http public URL


class TestLogout:
    def test_a_copied_session_cookie_stops_working_at_logout(self, site: Site) -> None:
        site.client.cookies.clear()
        site.log_in()
        copied = site.client.cookies.get("kv_session")
        assert site.client.get("/", follow_redirects=False).status_code == 200
        token = site.token("/")
        assert (
            site.client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code
            == 303
        )
        site.client.cookies.set("kv_session", copied or "")
        assert site.client.get("/", follow_redirects=False).headers["location"] == "/login"


class TestPlumbing:
    def test_pages_carry_a_strict_content_security_policy(self, site: Site) -> None:
        headers = site.client.get("/login").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
    def test_the_language_link_never_leaves_the_site(self, site: Site, target: str) -> None:
        answer = site.client.get(f"/lang/en?next={target}", follow_redirects=False)
        assert answer.headers["location"] == "/"

    def test_only_the_vendored_static_files_are_served(self, site: Site) -> None:
        assert site.client.get("/static/htmx.min.js").status_code == 200
        assert site.client.get("/static/SOURCE.txt").status_code == 404

    def test_a_page_without_a_login_sends_the_browser_to_the_login(self, site: Site) -> None:
        site.client.cookies.clear()
        answer = site.client.get("/connections", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_behind_https_the_session_cookie_is_secure(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    for site in _site("sqlite", "https://kv.example", fresh_database_url, tmp_path):
        site.log_in()
        cookie = next(c for c in site.client.cookies.jar if c.name == "kv_session")
        assert cookie.secure
