"""Test databases: every database test runs on SQLite and on PostgreSQL.

The schema is built by the Alembic migrations (never ``create_all``), once per session and
database; each test runs inside a SAVEPOINT that is rolled back, so tests see clean data.
Tests that start a real server process need committed data and ask ``fresh_database_url``
for a database of their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session

from koppelvlak.db import make_engine, upgrade

POSTGRES_URL = os.environ.get(
    "KOPPELVLAK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CI", "").lower() == "true" or bool(
    os.environ.get("KOPPELVLAK_REQUIRE_POSTGRES")
)
TEST_DATA = Path(__file__).resolve().parent / "data"
"""Third-party files the tests read, kept in the repository (each folder has its SOURCE.txt)."""


def _postgres_admin() -> Engine:
    return make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _postgres_available() -> str | None:
    try:
        with _postgres_admin().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return str(error).splitlines()[0]
    return None


def _need_postgres() -> None:
    problem = _postgres_available()
    if problem is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required here (CI) but unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


def _create_postgres_database(name: str) -> str:
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id_suffix(request: pytest.FixtureRequest) -> str:
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return f"{worker}_{os.getpid()}"


@pytest.fixture(scope="session")
def fresh_database_url(
    tmp_path_factory: pytest.TempPathFactory, worker_id_suffix: str
) -> Iterator[Callable[[str], str]]:
    """Factory: ``fresh_database_url("sqlite"|"postgresql")`` → URL of a new migrated database."""
    created: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("db") / "koppelvlak.db"
            url = f"sqlite:///{path}"
        else:
            _need_postgres()
            name = f"kv_{worker_id_suffix}_{uuid.uuid4().hex[:8]}"
            url = _create_postgres_database(name)
            created.append(name)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url

    yield make
    for name in created:
        _drop_postgres_database(name)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    """A migrated database of each kind, shared by the session's tests."""
    url = fresh_database_url(request.param)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (SAVEPOINT per test)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
