"""A guardian grants and later withdraws consent on the page behind the e-mailed link."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.conftest import Site, log_in, shoot

pytestmark = pytest.mark.e2e
STUDENTS = "/ims/oneroster/rostering/v1p2/students"
LINK = re.compile(r"(http://\S+/consent/(\S+))")


def _request_id(token: str) -> uuid.UUID:
    body = token.split(".", maxsplit=1)[0]
    return uuid.UUID(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["request"])


def _young(site: Site, request_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The requests whose child is clearly under 16 (consent decides for them)."""
    from koppelvlak.accounts.models import ConsentRequest
    from koppelvlak.roster.models import Student

    def query(session: Any) -> set[uuid.UUID]:
        rows = session.execute(
            select(ConsentRequest.id, Student.birth_date)
            .join(Student, Student.id == ConsentRequest.student_id)
            .where(ConsentRequest.id.in_(request_ids))
        ).all()
        cutoff = date(date.today().year - 15, 1, 1)
        return {rid for rid, born in rows if born is not None and born > cutoff}

    return set(site.change(query))


def _released(site: Site, token: str) -> int:
    answer = httpx.get(f"{site.base_url}{STUDENTS}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return int(answer.headers["X-Total-Count"])


class TestGuardianConsent:
    def test_a_guardian_grants_then_withdraws_and_the_release_follows_each_time(
        self, page: Any, site: Site
    ) -> None:
        homework = next(p for p in site.demo["providers"] if p["app"] == "HuiswerkHulp")
        token = site.provider_token(homework["client_id"], homework["client_secret"])
        log_in(page, site)
        page.goto(f"{site.base_url}/connections")
        page.get_by_role("link", name="HuiswerkHulp").click()
        page.get_by_role("button", name="Verstuur verzoeken (per e-mail)").click()
        page.wait_for_url(re.compile(r".*\?done=consent$"))

        links = {}
        for mail in site.mails():
            found = LINK.search(mail.get_payload(decode=True).decode())
            if found:
                links[_request_id(found.group(2))] = found.group(1)
        young = _young(site, list(links))
        assert young, "the demo school has children under 16 without a consent decision"
        link = links[sorted(young)[0]]

        before = _released(site, token)
        page.context.clear_cookies()  # the guardian has no account
        page.goto(link)
        assert "HuiswerkHulp" in page.get_by_role("heading", level=1).inner_text()
        assert "Geboortedatum" in page.inner_text("main")
        assert page.locator("#current").inner_text() == "nog geen keuze"
        shoot(page, "guardian-consent", docs=True)
        page.get_by_role("button", name="Ik geef toestemming").click()
        page.wait_for_url(re.compile(r".*\?done=1$"))
        assert page.locator("#current").inner_text() == "toestemming gegeven"
        assert _released(site, token) == before + 1

        page.get_by_role("button", name="Ik trek mijn toestemming in").click()
        page.wait_for_url(re.compile(r".*\?done=1$"))
        assert page.locator("#current").inner_text() == "ingetrokken"
        assert _released(site, token) == before
        assert "Met deze link is alles gedaan wat kon." in page.inner_text("main")

        again = page.request.post(link, form={"csrf": "x", "action": "grant"})
        assert again.status == 403  # no valid form token: refused before anything else
