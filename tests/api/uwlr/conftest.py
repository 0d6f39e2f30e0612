"""A real ``koppelvlak serve`` with the demo board, a provider with an active Smalle-set
connection to 99XX and a UWLR key for it, and a second provider whose connection is revoked.

Provider data is made through the real services (tests/factories/providers.py), committed, and
then the server process is started on it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.db import make_engine
from koppelvlak.roster.models import Board, School
from tests.factories.providers import T0, uwlr_connected
from tests.support.server import koppelvlak_env, run_cli, running_server

KEY = "K" * 88  # real keys are 88-character base64 strings, beyond the schema's 64
REVOKED_KEY = "R" * 40
DATASET = {
    "student.given_name": True,
    "student.family_name": True,
    "student.name_prefix": True,
    "student.year_group": True,
    "student.groups": True,
    "group.name": True,
    "group.year_group": True,
    "staff.given_name": True,
    "staff.family_name": True,
    "staff.groups": True,
}


@dataclass
class Deployment:
    base: str
    engine: Engine
    board_id: uuid.UUID
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    school_year: str
    demo_providers: dict[str, dict[str, Any]]  # by app name, from `koppelvlak demo --json`

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608  (fixed table names from the tests)


def _connect(
    session: Session, board: Board, school: School, *, name: str, klantcode: str, key: str
) -> tuple[uuid.UUID, uuid.UUID]:
    return uwlr_connected(session, board, school, DATASET, name=name, klantcode=klantcode, key=key)


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    """Extra KOPPELVLAK_* settings for the server; a test module overrides this to tune it."""
    return {}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def deployment(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
    server_settings: dict[str, str],
) -> Iterator[Deployment]:
    url = fresh_database_url(request.param)
    workdir = tmp_path_factory.mktemp("uwlr")
    env = koppelvlak_env(url, workdir, **server_settings)  # the bundled UWLR files
    made = run_cli("demo", "--students", "60", "--json", env=env)
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    school_year = document["board"]["school_year"]
    demo_providers = {p["app"]: p for p in document.get("providers", [])}
    engine = make_engine(url)
    with Session(engine) as session:
        board = session.scalars(select(Board).where(Board.code == "DEMO")).one()
        school = session.scalars(
            select(School).where(School.board_id == board.id, School.brin == "99XX")
        ).one()
        provider_id, connection_id = _connect(
            session, board, school, name="Rekenmeester B.V.", klantcode="DEMO-EA", key=KEY
        )
        _other, revoked = _connect(
            session, board, school, name="Oud Leermiddel B.V.", klantcode="OLD-EA", key=REVOKED_KEY
        )
        connections.revoke(
            session, board.id, revoked, actor="admin:test", at=T0, reason="contract ended"
        )
        session.commit()
        board_id = board.id
    with running_server(env) as base:
        yield Deployment(
            base, engine, board_id, provider_id, connection_id, school_year, demo_providers
        )
    engine.dispose()
