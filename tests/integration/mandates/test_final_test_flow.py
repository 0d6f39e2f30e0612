"""The final-test flow end to end: a school's mandate, a push of exactly the group-8 participants
to a real receiver on loopback (signed, through the outbox and the worker), results back through
the results service keyed by what the supplier received, and both steps visible to the school.
Without a valid mandate nothing is sent and the refusal is recorded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from koppelvlak.audit import service as audit
from koppelvlak.audit.values import Channel
from koppelvlak.config import Settings
from koppelvlak.delivery import push, signing
from koppelvlak.delivery.models import DeliveryOutbox
from koppelvlak.kit import changes
from koppelvlak.kit.clock import today, utcnow
from koppelvlak.mandates import final_test, flows
from koppelvlak.mandates import service as mandates
from koppelvlak.providers.models import Provider
from koppelvlak.release import service as release
from koppelvlak.results.service import list_results, store_results
from koppelvlak.results.uwlr_xml import read_message
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school, connected, spec
from tests.factories.roster import StudentFactory
from tests.integration.delivery.conftest import Pushed
from tests.support.receiver import Received, receiver
from tests.support.uwlr import leerresultaten_verzoek

DATASET = spec({"student.given_name": True, "student.year_group": True})
REFERENCE = today() - timedelta(days=1)


@dataclass
class FinalTestSchool:
    pushed: Pushed
    code: str
    brin: str
    participants: dict[uuid.UUID, str]  # person id -> given name
    others: dict[uuid.UUID, str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def runtime(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Runtime]:
    settings = Settings(
        database_url=fresh_database_url(request.param),
        key_file=tmp_path / "keys.json",
        delivery_backoff_seconds=0.05,
        delivery_timeout_seconds=1.0,
        delivery_max_attempts=20,
        delivery_allow_loopback_http=True,
    )
    made = Runtime.from_settings(settings)
    yield made
    made.engine.dispose()


def _school(runtime: Runtime, url: str, *, mandated: bool) -> FinalTestSchool:
    """A school with two participants and three others, its supplier's final-test connection
    registered for push to ``url`` — and, when ``mandated``, the school's mandate of it."""
    with runtime.unit_of_work(write=True) as session:
        board, school = board_with_school(session)
        setup = connected(session, DATASET, board=board, school=school)

        def student(name: str, year: str, start: date | None, end: date | None = None) -> Any:
            made = StudentFactory(
                board_id=board.id,
                school_id=school.id,
                given_name=name,
                year_group=year,
                enrolment_start=start,
                enrolment_end=end,
            )
            session.add(made)
            return made

        long_ago = REFERENCE - timedelta(days=900)
        participants = [student("Aisha", "8", long_ago), student("Bram", "8", None)]
        others = [
            student("Cas", "7", long_ago),
            student("Dewi", "8", REFERENCE + timedelta(days=1)),
            student("Eef", "8", long_ago, REFERENCE - timedelta(days=3)),
        ]
        session.flush()
        final_test.set_rule(
            session, board.id, setup.connection.id, reference_date=REFERENCE, actor="a", at=utcnow()
        )
        if mandated:
            mandates.grant(
                session,
                board.id,
                school=school.brin,
                service=mandates.FINAL_TEST_SERVICE,
                party=setup.provider.kvk_number,
                valid_from=REFERENCE - timedelta(days=30),
                valid_until=None,
                actor="admin:jan",
                at=utcnow(),
            )
        push.register(
            session,
            board_id=board.id,
            connection_id=setup.connection.id,
            url=url,
            actor="admin:test",
            at=utcnow(),
            allow_loopback_http=True,
        )
        ids = (board.id, school.id, setup.provider.id, setup.connection.id)
        code = f"{school.brin}{school.location_code}"
        found = FinalTestSchool(
            Pushed(runtime, *ids, key=signing.derive(runtime.secrets.token_signing_key, ids[2], 1)),
            code,
            school.brin,
            {s.id: s.given_name for s in participants},
            {s.id: s.given_name for s in others},
        )
    return found


def _received_users(received: Received) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    for body in received.accepted.values():
        objects = json.loads(body)["objects"]
        for collection, found in objects.items():
            if collection.endswith("users") or collection.endswith("students"):
                users += found
    return users


class TestTheFinalTestFlow:
    def test_with_a_mandate_exactly_the_participants_go_and_their_results_come_back(
        self, runtime: Runtime
    ) -> None:
        with receiver([]) as (url, received):
            school = _school(runtime, url, mandated=True)
            received.keys.append(school.pushed.key)
            school.pushed.drain()
        assert school.pushed.states() == {"delivered": 1}
        users = _received_users(received)
        assert sorted(u["givenName"] for u in users) == sorted(school.participants.values())
        assert received.conflicts == []
        assert received.unsigned == []
        pushed = school.pushed
        with runtime.unit_of_work() as session:
            (disclosure,) = [
                d
                for d in audit.disclosures_for_provider(
                    session, pushed.board_id, pushed.provider_id
                )
                if d.channel is Channel.PUSH
            ]
            assert disclosure.person_ids == frozenset(school.participants)
        # The supplier returns results keyed by the sourcedIds it received.
        verzoek = leerresultaten_verzoek(
            [(u["sourcedId"], f"R{i}", 40 + i) for i, u in enumerate(users)], brin=school.brin
        )
        with runtime.unit_of_work(write=True) as session:
            seen = release.resolve(
                session, pushed.connection_id, utcnow(), runtime.secrets.pseudonym_key
            )
            store_results(
                session,
                seen,
                brin=school.brin,
                location_code="00",
                message=read_message(etree.fromstring(verzoek)),
                received_at=utcnow(),
            )
        with runtime.unit_of_work() as session:
            (status,) = final_test.status(session, pushed.board_id, school.code, utcnow())
            results = list_results(session, school.brin)
            report = audit.verify(session)
        assert (
            status.mandate_valid,
            status.participants_delivered,
            status.results_received,
        ) == (True, 2, 2)
        assert status.last_results_at is not None
        assert {r.score for r in results} == {40, 41}
        assert report.ok

    def test_without_a_mandate_nothing_is_sent_and_the_refusal_is_recorded(
        self, runtime: Runtime
    ) -> None:
        with receiver([]) as (url, received):
            school = _school(runtime, url, mandated=False)
            received.keys.append(school.pushed.key)
            school.pushed.drain(rounds=5)
        assert received.requests == []
        pushed = school.pushed
        with runtime.unit_of_work() as session:
            rows = session.scalar(
                select(func.count())
                .select_from(DeliveryOutbox)
                .where(DeliveryOutbox.connection_id == pushed.connection_id)
            )
            refusals = mandates.refusals(session, pushed.board_id)
            (status,) = final_test.status(session, pushed.board_id, school.code, utcnow())
            pushes = [
                d
                for d in audit.disclosures_for_provider(
                    session, pushed.board_id, pushed.provider_id
                )
                if d.channel is Channel.PUSH
            ]
        assert rows == 0
        assert pushes == []
        assert refusals
        assert {(r.school, r.service, r.connection_id) for r in refusals} == {
            (school.code, mandates.FINAL_TEST_SERVICE, pushed.connection_id)
        }
        assert (status.mandate_valid, status.participants_delivered) == (False, 0)

    def test_a_revoked_mandate_stops_the_changes_that_follow(self, runtime: Runtime) -> None:
        with receiver([]) as (url, received):
            school = _school(runtime, url, mandated=True)
            received.keys.append(school.pushed.key)
            school.pushed.drain()
            pushed = school.pushed
            with runtime.unit_of_work(write=True) as session:
                (mandate,) = mandates.mandates(session, pushed.board_id, utcnow())
                mandates.revoke(
                    session,
                    pushed.board_id,
                    mandate.mandate_id,
                    reason="supplier changed",
                    actor="admin:jan",
                    at=utcnow(),
                )
            before = len(received.requests)
            with runtime.unit_of_work(write=True) as session:
                session.add(
                    StudentFactory(
                        board_id=pushed.board_id,
                        school_id=pushed.school_id,
                        given_name="Fenna",
                        year_group="8",
                    )
                )
                changes.school_changed(session, pushed.school_id, utcnow())
            school.pushed.drain(rounds=5)
        assert len(received.requests) == before
        assert "Fenna" not in {u["givenName"] for u in _received_users(received)}
        with runtime.unit_of_work() as session:
            assert mandates.refusals(session, pushed.board_id)

    def test_granting_the_mandate_sends_what_was_held_back(self, runtime: Runtime) -> None:
        with receiver([]) as (url, received):
            school = _school(runtime, url, mandated=False)
            received.keys.append(school.pushed.key)
            school.pushed.drain(rounds=5)
            assert received.requests == []
            pushed = school.pushed
            with runtime.unit_of_work(write=True) as session:
                provider = session.get(Provider, pushed.provider_id)
                assert provider is not None
                flows.grant(
                    session,
                    pushed.board_id,
                    school=school.code,
                    service_name=mandates.FINAL_TEST_SERVICE,
                    party=provider.kvk_number,
                    valid_from=REFERENCE - timedelta(days=30),
                    valid_until=None,
                    actor="admin:jan",
                    at=utcnow(),
                )
            school.pushed.drain()
        assert school.pushed.states() == {"delivered": 1}
        names = sorted(u["givenName"] for u in _received_users(received))
        assert names == sorted(school.participants.values())
