"""Incidents: a provider reports with its OAuth2 token, the school sees it at once (admin API and
a mail over real SMTP), the DPO records the assessment with the 72-hour clock of art. 33.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from koppelvlak.app import create_app
from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.config import Settings
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.incidents import service as incidents
from koppelvlak.incidents.models import Incident
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.runtime import Runtime
from tests.factories.providers import T0, Setup, board_with_school, connected
from tests.factories.roster import StudentFactory
from tests.integration.test_mail import Inbox

INCIDENTS = "/incidents"
ADMIN = "/admin/api/v1/incidents"


@dataclass
class Reporting:
    client: TestClient
    runtime: Runtime
    inbox: Inbox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def reporting(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Reporting]:
    inbox, port = Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = Settings(
        database_url=fresh_database_url(request.param),
        key_file=tmp_path_factory.mktemp("keys") / "k.json",
        mail_url=f"smtp://127.0.0.1:{port}",
        mail_from="koppelvlak@gateway.example",
    )
    runtime = Runtime.from_settings(settings)
    try:
        with TestClient(create_app(runtime)) as client:
            yield Reporting(client, runtime, inbox)
    finally:
        smtp.stop()
        runtime.engine.dispose()


@dataclass
class Known:
    setup: Setup
    provider_token: str
    admin: dict[AdminRole, str]
    student_ids: list[uuid.UUID]


def _known(reporting: Reporting, *, recipient: str | None = "fg@school.example") -> Known:
    """A provider with an active connection that disclosed two students, a token, admin tokens."""
    with reporting.runtime.unit_of_work() as session:
        setup = connected(session)
        students = [
            StudentFactory(board_id=setup.board.id, school_id=setup.school.id) for _ in range(2)
        ]
        session.add_all(students)
        session.flush()
        audit.record(
            session,
            Disclosure(
                board_id=setup.board.id,
                provider_id=setup.provider.id,
                connection_id=setup.connection.id,
                channel=Channel.ONEROSTER,
                endpoint="GET /ims/oneroster/rostering/v1p2/users",
                query="limit=100",
                attribute_ids=frozenset({"student.given_name"}),
                person_ids=frozenset(s.id for s in students),
                response_digest="0" * 64,
            ),
            T0,
        )
        issued = providers.create_credential(session, setup.provider.id, T0)
        admin = {
            role: create_token(session, setup.board.id, role, label=f"{role}-bot", at=T0).token
            for role in AdminRole
        }
        if recipient is not None:
            incidents.set_recipient(session, setup.board.id, recipient, actor="admin:t", at=T0)
    answer = reporting.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.client_id, issued.client_secret),
    )
    assert answer.status_code == 200, answer.text
    return Known(setup, answer.json()["access_token"], admin, sorted(s.id for s in students))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _report(known: Known, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "suspected_breach",
        "summary": "A backup bucket was public for two hours.",
        "connection_ids": [str(known.setup.connection.id)],
        **overrides,
    }


def _incident_count(reporting: Reporting) -> int:
    with reporting.runtime.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(Incident)) or 0)


class TestReporting:
    def test_a_provider_reports_and_the_school_sees_it_at_once(self, reporting: Reporting) -> None:
        known = _known(reporting)
        answer = reporting.client.post(
            INCIDENTS, json=_report(known), headers=_auth(known.provider_token)
        )
        assert answer.status_code == 201, answer.text
        (stored,) = answer.json()["incidents"]
        listed = reporting.client.get(ADMIN, headers=_auth(known.admin[AdminRole.VIEWER])).json()
        (seen,) = listed["incidents"]
        assert seen["id"] == stored["id"]
        assert (seen["kind"], seen["connection_ids"]) == (
            "suspected_breach",
            [str(known.setup.connection.id)],
        )
        assert seen["art33"]["state"] == "running"
        assert seen["art33"]["seconds_left"] > 71 * 3600

    def test_the_detail_names_the_people_affected_from_the_ledger(
        self, reporting: Reporting
    ) -> None:
        known = _known(reporting)
        (stored,) = reporting.client.post(
            INCIDENTS, json=_report(known), headers=_auth(known.provider_token)
        ).json()["incidents"]
        detail = reporting.client.get(
            f"{ADMIN}/{stored['id']}", headers=_auth(known.admin[AdminRole.DPO])
        ).json()
        assert detail["affected"]["people"] == 2
        assert detail["affected"]["person_ids"] == [str(s) for s in known.student_ids]
        assert detail["affected"]["disclosures"] == 1

    def test_the_boards_recipient_gets_a_mail_over_smtp(self, reporting: Reporting) -> None:
        known = _known(reporting, recipient="privacy@board.example")
        reporting.client.post(
            INCIDENTS, json=_report(known, kind="outage"), headers=_auth(known.provider_token)
        )
        mail = next(m for m in reporting.inbox.messages if m["To"] == "privacy@board.example")
        assert mail["Subject"] == f"Incident reported by {known.setup.provider.name}: outage"
        body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
        assert "GDPR art. 33: 72 h 00 min left to notify the authority" in body
        assert str(known.student_ids[0]) not in body

    def test_another_providers_connection_is_404_and_nothing_is_stored(
        self, reporting: Reporting
    ) -> None:
        known = _known(reporting)
        with reporting.runtime.unit_of_work() as session:
            foreign = connected(session).connection.id
        before = _incident_count(reporting)
        answer = reporting.client.post(
            INCIDENTS,
            json=_report(known, connection_ids=[str(known.setup.connection.id), str(foreign)]),
            headers=_auth(known.provider_token),
        )
        assert answer.status_code == 404
        assert answer.json()["detail"] == f"no connection with id {foreign} of yours"
        assert _incident_count(reporting) == before

    def test_an_unknown_connection_is_404_too(self, reporting: Reporting) -> None:
        known = _known(reporting)
        unknown = uuid.uuid4()
        answer = reporting.client.post(
            INCIDENTS,
            json=_report(known, connection_ids=[str(unknown)]),
            headers=_auth(known.provider_token),
        )
        assert answer.status_code == 404
        assert answer.json()["detail"] == f"no connection with id {unknown} of yours"

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer forged.token.here"}, {"Authorization": "Basic eDp5"}],
        ids=["none", "forged", "basic"],
    )
    def test_without_a_valid_token_it_is_401(
        self, reporting: Reporting, headers: dict[str, str]
    ) -> None:
        known = _known(reporting)
        before = _incident_count(reporting)
        answer = reporting.client.post(INCIDENTS, json=_report(known), headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert _incident_count(reporting) == before

    @pytest.mark.parametrize(
        "overrides",
        [{"kind": "fire"}, {"summary": ""}, {"connection_ids": []}, {"extra": 1}],
        ids=["kind", "summary", "connections", "extra field"],
    )
    def test_a_malformed_report_is_422(
        self, reporting: Reporting, overrides: dict[str, Any]
    ) -> None:
        known = _known(reporting)
        answer = reporting.client.post(
            INCIDENTS, json=_report(known, **overrides), headers=_auth(known.provider_token)
        )
        assert answer.status_code == 422

    def test_an_incident_that_starts_after_its_report_is_refused(
        self, reporting: Reporting
    ) -> None:
        known = _known(reporting)
        later = (utcnow() + timedelta(days=1)).isoformat()
        answer = reporting.client.post(
            INCIDENTS, json=_report(known, started_at=later), headers=_auth(known.provider_token)
        )
        assert answer.status_code == 400
        assert answer.json()["detail"] == "the incident cannot start after it is reported"


class TestTheAssessment:
    def _reported(self, reporting: Reporting) -> tuple[Known, str]:
        known = _known(reporting)
        (stored,) = reporting.client.post(
            INCIDENTS, json=_report(known), headers=_auth(known.provider_token)
        ).json()["incidents"]
        return known, stored["id"]

    def test_the_dpo_records_it_and_the_notification_stops_the_clock(
        self, reporting: Reporting
    ) -> None:
        known, incident_id = self._reported(reporting)
        answer = reporting.client.post(
            f"{ADMIN}/{incident_id}/assessment",
            json={
                "assessment": "Names of 2 students exposed; risk to them is low but real.",
                "notifiable": True,
                "authority_notified_at": utcnow().isoformat(),
                "authority_reference": "AP-2026-0001",
            },
            headers=_auth(known.admin[AdminRole.DPO]),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["assessed_by"] == "dpo:dpo-bot"
        assert answer.json()["art33"]["state"] == "notified"
        assert answer.json()["authority_reference"] == "AP-2026-0001"

    def test_an_admin_may_not_assess(self, reporting: Reporting) -> None:
        known, incident_id = self._reported(reporting)
        answer = reporting.client.post(
            f"{ADMIN}/{incident_id}/assessment",
            json={"assessment": "fine", "notifiable": False},
            headers=_auth(known.admin[AdminRole.ADMIN]),
        )
        assert answer.status_code == 403
        assert answer.json()["detail"] == "the admin role may not sign off"

    def test_a_not_notifiable_incident_cannot_have_been_notified(
        self, reporting: Reporting
    ) -> None:
        known, incident_id = self._reported(reporting)
        answer = reporting.client.post(
            f"{ADMIN}/{incident_id}/assessment",
            json={
                "assessment": "no risk",
                "notifiable": False,
                "authority_notified_at": utcnow().isoformat(),
            },
            headers=_auth(known.admin[AdminRole.DPO]),
        )
        assert answer.status_code == 400
        assert answer.json()["detail"] == (
            "an incident assessed as not notifiable was not notified"
        )

    def test_another_boards_incident_is_404(self, reporting: Reporting) -> None:
        _, incident_id = self._reported(reporting)
        with reporting.runtime.unit_of_work() as session:
            other, _ = board_with_school(session)
            stranger = create_token(session, other.id, AdminRole.DPO, label="x", at=T0).token
        shown = reporting.client.get(f"{ADMIN}/{incident_id}", headers=_auth(stranger))
        assert shown.status_code == 404
        assessed = reporting.client.post(
            f"{ADMIN}/{incident_id}/assessment",
            json={"assessment": "x", "notifiable": False},
            headers=_auth(stranger),
        )
        assert assessed.status_code == 404
        assert reporting.client.get(ADMIN, headers=_auth(stranger)).json() == {"incidents": []}
