"""Approving and revoking in the browser reaches the provider API at once; viewers cannot act."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.roster.models import Board
from tests.e2e.conftest import PENDING_APP, Site, log_in, shoot

pytestmark = pytest.mark.e2e
USERS = "/ims/oneroster/rostering/v1p2/users"


def _open_pending(page: Any, site: Site) -> None:
    page.goto(f"{site.base_url}/connections/{site.pending['connection_id']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(PENDING_APP)


def _history_rows(site: Site) -> int:
    def count(session: Session) -> int:
        board = session.scalar(select(Board.id).where(Board.code == "DEMO"))
        assert board is not None
        return len(connections.history(session, board, uuid.UUID(site.pending["connection_id"])))

    return int(site.change(count))


class TestViewer:
    def test_a_viewer_sees_no_decision_buttons_and_a_forged_post_is_refused_with_403(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site, "viewer")
        _open_pending(page, site)
        assert page.get_by_role("button", name="Goedkeuren").count() == 0
        assert "Als meekijker kunt u kijken, niet besluiten." in page.inner_text("main")
        before = _history_rows(site)
        csrf = page.locator("input[name=csrf]").first.input_value()
        answer = page.request.post(
            f"{site.base_url}/connections/{site.pending['connection_id']}/decide/approve",
            form={"csrf": csrf},
        )
        assert answer.status == 403
        assert "the viewer role may not decide" in answer.text()
        assert _history_rows(site) == before


class TestApproveAndRevoke:
    def test_approval_opens_the_provider_api_at_once_and_revocation_closes_it(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        _open_pending(page, site)
        shoot(page, "connection-requested", docs=True)
        page.get_by_role("button", name="Goedkeuren").click()
        page.wait_for_url(re.compile(r".*\?done=approve$"))
        assert page.locator("#state").inner_text() == "actief"

        token = site.provider_token(site.pending["client_id"], site.pending["client_secret"])
        headers = {"Authorization": f"Bearer {token}"}
        answer = httpx.get(f"{site.base_url}{USERS}", headers=headers)
        assert answer.status_code == 200, answer.text
        assert int(answer.headers["X-Total-Count"]) > 0

        page.get_by_label("Reden").last.fill("contract beëindigd")
        page.get_by_role("button", name="Intrekken").click()
        page.wait_for_url(re.compile(r".*\?done=revoke$"))
        assert page.locator("#state").inner_text() == "ingetrokken"
        assert httpx.get(f"{site.base_url}{USERS}", headers=headers).status_code == 403
        shoot(page, "connection-revoked")

        page.goto(f"{site.base_url}/activity")
        assert "connection_revoke" in page.inner_text("main")
        csv = page.request.get(f"{site.base_url}/insight/disclosures.csv").text()
        assert "Rekenrijk B.V." in csv  # the provider's page of users is in the ledger


class TestScope:
    def test_the_live_count_follows_the_scope_choice_before_anything_is_saved(
        self, page: Any, site: Site
    ) -> None:
        log_in(page, site)
        page.goto(f"{site.base_url}/connections")
        page.get_by_role("link", name="Doorstroomtoets").click()
        count = page.locator("#scope-count")
        before = count.inner_text()
        page.get_by_label("De hele school").check()
        page.wait_for_function(
            "before => document.querySelector('#scope-count').innerText !== before", arg=before
        )
        assert count.inner_text() != before
        assert re.fullmatch(
            r"\d+ leerlingen en \d+ medewerkers zouden worden gedeeld\.", count.inner_text()
        )
        shoot(page, "scope", docs=True)
