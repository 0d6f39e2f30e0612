"""Browser tests: a real ``koppelvlak serve`` on SQLite with the demo board, driven by Chromium.

``site`` builds the demo board (and its web logins) with the real CLI, adds through the real
services what the demo lacks (a connection waiting for a decision, with its provider's
credential, and a second board whose ids must answer 404), and starts the server. Mail goes to a
folder the tests read. Chromium is the system one (/usr/bin/chromium); without it the tests are
skipped with that reason (CI installs it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.accounts.demo import demo_logins
from koppelvlak.config import Settings
from koppelvlak.connections import service as connections
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.roster.models import Board, School
from koppelvlak.runtime import Runtime
from tests.factories.providers import accredited_provider, connected
from tests.support.server import koppelvlak_env, run_cli, running_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "admin" / "screenshots"
PENDING_APP = "Rekenrijk"
NO_CHROMIUM = "the browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)"

pytestmark = pytest.mark.e2e


@dataclass
class Site:
    base_url: str
    database_url: str
    workdir: Path
    demo: dict[str, Any]
    pending: dict[str, str]
    other_board_connection: str

    def login(self, role: str = "admin") -> dict[str, str]:
        return next(x.as_dict() for x in demo_logins("DEMO", 7) if x.role == role)

    def change(self, action: Callable[[Session], Any]) -> Any:
        return change_as_server(self.database_url, self.workdir, action)

    def mails(self) -> list[Message]:
        folder = self.workdir / "mail"
        return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]

    def provider_token(self, client_id: str, secret: str) -> str:
        answer = httpx.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


def change_as_server(url: str, workdir: Path, action: Callable[[Session], Any]) -> Any:
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=workdir / "keys.json"))
    try:
        with runtime.unit_of_work(write=True) as session:
            return action(session)
    finally:
        runtime.engine.dispose()


def _pending(session: Session) -> dict[str, str]:
    """A provider whose connection to the primary school waits for the admin's decision."""
    at = utcnow()
    board = session.scalars(select(Board).where(Board.code == "DEMO")).one()
    school = session.scalars(
        select(School).where(School.board_id == board.id, School.brin == "99XX")
    ).one()
    provider = accredited_provider(session, at, name="Rekenrijk B.V.")
    app = providers.add_app(session, provider.id, PENDING_APP)
    providers.add_dataset_version(
        session,
        app.id,
        providers_spec(),
        actor="provider:rekenrijk",
        at=at,
    )
    connection = connections.request(
        session, board_id=board.id, school_id=school.id, app_id=app.id, actor="admin:e2e", at=at
    )
    issued = providers.create_credential(session, provider.id, at)
    return {
        "connection_id": str(connection.id),
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
    }


def providers_spec() -> Any:
    from koppelvlak.providers.schemas import DatasetSpec

    return DatasetSpec(
        attributes={"student.given_name": True, "student.year_group": False},
        purpose_code="learning_materials",
        entity_types=frozenset({"students"}),
        purpose_statement="Rekenoefeningen op niveau.",
    )


def _other_board(session: Session) -> str:
    return str(connected(session, at=utcnow()).connection.id)


@pytest.fixture(scope="session")
def site(
    fresh_database_url: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    url = fresh_database_url("sqlite")
    workdir = tmp_path_factory.mktemp("e2e")
    env = koppelvlak_env(
        url,
        workdir,
        KOPPELVLAK_LOG_LEVEL="warning",
        KOPPELVLAK_MAIL_URL=f"folder:{workdir / 'mail'}",
    )
    built = run_cli("demo", "--students", "40", "--json", env=env)
    assert built.returncode == 0, built.stderr
    pending = change_as_server(url, workdir, _pending)
    other = change_as_server(url, workdir, _other_board)
    with running_server(env) as base_url:
        yield Site(base_url, url, workdir, json.loads(built.stdout), pending, other)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def shoot(page: Any, name: str, *, docs: bool = False) -> None:
    """Save a screenshot as a test artifact; for the admin docs only with
    KOPPELVLAK_WRITE_SCREENSHOTS=1, so a test run leaves the checkout unchanged."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if docs and os.environ.get("KOPPELVLAK_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, site: Site, role: str = "admin") -> None:
    login = site.login(role)
    page.goto(f"{site.base_url}/login")
    page.get_by_label(re.compile("Bestuurscode|Board code")).fill(login["board"])
    page.get_by_label(re.compile("E-mailadres|E-mail address")).fill(login["email"])
    page.get_by_label(re.compile("Wachtwoord|Password")).fill(login["password"])
    page.get_by_role("button", name=re.compile("Inloggen|Log in")).click()
    page.wait_for_url(f"{site.base_url}/")
