"""Bad input in the browser: wrong passwords, other boards' ids, missing tokens, big posts, HTML."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.accounts import service as accounts
from koppelvlak.connections import service as connections
from koppelvlak.connections.models import AdminRole
from koppelvlak.kit.clock import utcnow
from koppelvlak.roster.models import Board
from tests.e2e.conftest import Site, log_in, shoot
from tests.factories.providers import accredited_provider

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-enough-password"


def _board(session: Session) -> uuid.UUID:
    board = session.scalar(select(Board.id).where(Board.code == "DEMO"))
    assert board is not None
    return board


def _fill_login(page: Any, site: Site, email: str, password: str) -> None:
    page.goto(f"{site.base_url}/login")
    page.get_by_label("Bestuurscode").fill("DEMO")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def _events(site: Site, connection_id: str) -> int:
    return int(
        site.change(lambda s: len(connections.history(s, _board(s), uuid.UUID(connection_id))))
    )


class TestWrongPasswords:
    def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
        self, page: Any, site: Site
    ) -> None:
        email = f"lock-{uuid.uuid4().hex[:6]}@demo.example"
        site.change(
            lambda s: accounts.create_account(
                s, _board(s), email, AdminRole.ADMIN, at=utcnow(), password=PASSWORD
            )
        )
        for _ in range(4):
            _fill_login(page, site, email, "wrong-password")
            alert = page.get_by_role("alert").inner_text()
            assert alert == "Deze combinatie van bestuur, e-mailadres en wachtwoord kennen we niet."
        _fill_login(page, site, email, "wrong-password")
        locked = "Te veel mislukte pogingen: dit account is 15 minuten geblokkeerd."
        assert page.get_by_role("alert").inner_text() == locked
        _fill_login(page, site, email, PASSWORD)
        assert page.get_by_role("alert").inner_text() == locked
        assert page.url.endswith("/login")


class TestAnotherBoard:
    def test_another_boards_connection_answers_404_to_a_look_and_to_a_decision(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        other = site.other_board_connection
        answer = page.goto(f"{site.base_url}/connections/{other}")
        assert answer is not None
        assert answer.status == 404
        assert "Dat lukte niet" in page.inner_text("main")
        page.goto(f"{site.base_url}/")
        csrf = page.locator("input[name=csrf]").first.input_value()
        refused = page.request.post(
            f"{site.base_url}/connections/{other}/decide/suspend",
            form={"csrf": csrf, "reason": "not ours"},
        )
        assert refused.status == 404
        assert page.goto(f"{site.base_url}/connections/not-an-id").status == 404  # type: ignore[union-attr]


class TestForms:
    def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        target = site.pending["connection_id"]
        before = _events(site, target)
        refused = page.request.post(
            f"{site.base_url}/connections/{target}/decide/suspend", form={"reason": "x"}
        )
        assert refused.status == 403
        assert "the form has no valid security token" in refused.text()
        assert _events(site, target) == before

    def test_an_oversized_form_post_is_refused_with_413(self, page: Any, site: Site) -> None:
        log_in(page, site)
        csrf = page.locator("input[name=csrf]").first.input_value()
        refused = page.request.post(
            f"{site.base_url}/connections/{site.pending['connection_id']}/decide/suspend",
            form={"csrf": csrf, "reason": "x" * 40_000},
        )
        assert refused.status == 413
        assert "the form is larger than 16384 bytes; nothing was changed" in refused.text()


class TestEscaping:
    def test_html_in_a_providers_name_shows_as_text(self, page: Any, site: Site) -> None:
        name = "<b id=injected>Vet</b> & Co B.V."
        site.change(lambda s: accredited_provider(s, utcnow(), name=name))
        log_in(page, site)
        page.goto(f"{site.base_url}/providers")
        assert page.locator("#injected").count() == 0
        assert name in page.inner_text("main")
        shoot(page, "providers", docs=True)
