"""A board with something on every record page, and its admin, viewer and DPO logged in.

Built once per module and database (SQLite, PostgreSQL); a second board of the same shape is
the stranger whose ids must answer 404.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from koppelvlak.accounts import service as accounts
from koppelvlak.app import create_app
from koppelvlak.audit import service as audit
from koppelvlak.config import Settings
from koppelvlak.connections.models import AdminRole
from koppelvlak.delivery import notices, push
from koppelvlak.delivery.models import DeliveryOutbox
from koppelvlak.incidents import service as incidents
from koppelvlak.incidents.models import IncidentKind
from koppelvlak.kit.clock import utcnow
from koppelvlak.mandates import service as mandates
from koppelvlak.rights import requests
from koppelvlak.rights.models import RequestKind
from koppelvlak.runtime import Runtime
from tests.factories.audit import DisclosureFactory
from tests.factories.history import import_and_result_history
from tests.factories.providers import T0, connected
from tests.factories.roster import StudentFactory

PASSWORD = "a-long-enough-password"
SUMMARY = "A test export was mailed to the wrong school."


@dataclass
class Scene:
    runtime: Runtime
    board: str
    delivery_id: uuid.UUID
    other_delivery_id: uuid.UUID
    request_id: uuid.UUID
    other_request_id: uuid.UUID
    provider: str

    def client(self, email: str, board: str | None = None) -> TestClient:
        """A browser logged in as ``email`` (each its own cookie jar)."""
        browser = TestClient(create_app(self.runtime), base_url="http://testserver")
        token = csrf_of(browser.get("/login").text)
        answer = browser.post(
            "/login",
            data={
                "csrf": token,
                "board": board or self.board,
                "email": email,
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser

    def delivery_state(self, delivery_id: uuid.UUID) -> str:
        with self.runtime.unit_of_work() as session:
            return str(session.get(DeliveryOutbox, delivery_id).state)  # type: ignore[union-attr]

    def kill(self, delivery_id: uuid.UUID) -> None:
        with self.runtime.unit_of_work(write=True) as session:
            session.execute(
                update(DeliveryOutbox)
                .where(DeliveryOutbox.id == delivery_id)
                .values(state="dead", attempts=8, last_error="HTTP 500")
            )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def _board(runtime: Runtime) -> tuple[str, uuid.UUID, uuid.UUID, str]:
    """A connected board with a push delivery, an overdue notice, a request, an incident."""
    with runtime.unit_of_work(write=True) as session:
        setup = connected(session)
        student = StudentFactory(board_id=setup.board.id, school_id=setup.school.id)
        session.add(student)
        for email, role in (
            ("a@school.nl", AdminRole.ADMIN),
            ("v@school.nl", AdminRole.VIEWER),
            ("d@school.nl", AdminRole.DPO),
        ):
            accounts.create_account(session, setup.board.id, email, role, at=T0, password=PASSWORD)
        code, board_id, connection = setup.board.code, setup.board.id, setup.connection
        provider, school = setup.provider, setup.school.brin
    with runtime.unit_of_work(write=True) as session:
        audit.record(
            session,
            DisclosureFactory(
                board_id=board_id,
                provider_id=provider.id,
                connection_id=connection.id,
                person_ids=frozenset({student.id}),
            ),
        )
        push.register(
            session,
            board_id=board_id,
            connection_id=connection.id,
            url="https://provider.example/hook",
            actor="admin:test",
            at=utcnow(),
        )
    with runtime.unit_of_work(write=True) as session:
        notices.notify_erasure(
            session, board_id=board_id, person_id=student.id, at=utcnow() - timedelta(days=90)
        )
        filed = requests.file_request(
            session,
            board_id,
            requests.Filing(kind=RequestKind.ACCESS, person_id=student.id, actor="admin:test"),
            at=utcnow(),
        )
        incidents.report(
            session,
            provider_id=provider.id,
            reported_by="provider-test",
            kind=IncidentKind.SUSPECTED_BREACH,
            summary=SUMMARY,
            connection_ids=[connection.id],
            started_at=None,
            at=utcnow(),
        )
        mandates.grant(
            session,
            board_id,
            school=school,
            service="Logistiek Proces Eindtoets PO",
            party="87654321",
            valid_from=date(2025, 12, 1),
            valid_until=None,
            actor="admin:test",
            at=T0,
        )
        import_and_result_history(
            session,
            board_id=board_id,
            code=code,
            connection_id=connection.id,
            provider_id=provider.id,
            brin=school,
            student_id=student.id,
        )
        request_id = filed.id
        delivery_id = session.scalars(
            select(DeliveryOutbox.id).where(
                DeliveryOutbox.connection_id == connection.id, DeliveryOutbox.kind == "release"
            )
        ).one()
    return code, delivery_id, request_id, provider.name


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def scene(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Scene]:
    key_dir: Path = tmp_path_factory.mktemp("k")
    runtime = Runtime.from_settings(
        Settings(
            database_url=fresh_database_url(request.param),
            key_file=key_dir / "k.json",
            public_url="http://testserver",
        )
    )
    board, delivery_id, request_id, provider = _board(runtime)
    _, other_delivery, other_request, _ = _board(runtime)
    yield Scene(runtime, board, delivery_id, other_delivery, request_id, other_request, provider)
    runtime.engine.dispose()


@pytest.fixture(scope="module")
def admin(scene: Scene) -> TestClient:
    return scene.client("a@school.nl")


@pytest.fixture(scope="module")
def viewer(scene: Scene) -> TestClient:
    return scene.client("v@school.nl")
