"""A committed database with a push connection, and helpers to run the worker in-process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from koppelvlak.cli.worker import deliver_due, policy
from koppelvlak.config import Settings
from koppelvlak.delivery import push, signing
from koppelvlak.delivery.models import DeliveryOutbox
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime
from tests.factories.providers import board_with_school, connected
from tests.factories.roster import StudentFactory


@dataclass
class Pushed:
    runtime: Runtime
    board_id: uuid.UUID
    school_id: uuid.UUID
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    key: bytes  # the provider's signing key, as it configured it

    def states(self) -> dict[str, int]:
        with self.runtime.unit_of_work() as session:
            rows = session.execute(
                select(DeliveryOutbox.state, func.count()).group_by(DeliveryOutbox.state)
            )
            return {state: int(n) for state, n in rows}

    def ids(self) -> set[str]:
        with self.runtime.unit_of_work() as session:
            return {str(i) for i in session.scalars(select(DeliveryOutbox.id))}

    def add_students(self, count: int) -> None:
        with self.runtime.unit_of_work(write=True) as session:
            from koppelvlak.kit import changes

            session.add_all(
                StudentFactory(board_id=self.board_id, school_id=self.school_id)
                for _ in range(count)
            )
            changes.school_changed(session, self.school_id, utcnow())

    def drain(self, name: str = "test-worker", rounds: int = 400) -> None:
        """Run worker rounds until nothing is pending (or the rounds run out)."""
        rules = policy(self.runtime.settings)
        with httpx.Client(timeout=rules.timeout) as client:
            for _ in range(rounds):
                if self.states().get("pending", 0) == 0:
                    return
                if not deliver_due(self.runtime, name, client, rules):
                    time.sleep(0.05)


def make_pushed(
    url: str, key_file: Path, endpoint: str, students: int = 3, **settings: Any
) -> Pushed:
    options: dict[str, Any] = {
        "delivery_backoff_seconds": 0.05,
        "delivery_timeout_seconds": 1.0,
        "delivery_max_attempts": 20,
        "delivery_allow_loopback_http": True,
        **settings,
    }
    runtime = Runtime.from_settings(Settings(database_url=url, key_file=key_file, **options))
    with runtime.unit_of_work(write=True) as session:
        board, school = board_with_school(session)
        setup = connected(session, board=board, school=school)
        session.add_all(
            StudentFactory(board_id=board.id, school_id=school.id) for _ in range(students)
        )
        push.register(
            session,
            board_id=board.id,
            connection_id=setup.connection.id,
            url=endpoint,
            actor="admin:test",
            at=utcnow(),
            allow_loopback_http=True,
        )
        ids = (board.id, school.id, setup.provider.id, setup.connection.id)
    key = signing.derive(runtime.secrets.token_signing_key, ids[2], 1)
    return Pushed(runtime, *ids, key=key)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url(request.param)


@pytest.fixture
def pushed_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Pushed]]:
    made: list[Pushed] = []

    def make(endpoint: str, **options: Any) -> Pushed:
        made.append(make_pushed(database_url, tmp_path / "keys.json", endpoint, **options))
        return made[-1]

    yield make
    for pushed in made:
        pushed.runtime.engine.dispose()
