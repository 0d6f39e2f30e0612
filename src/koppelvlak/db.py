"""Engine, declarative base, sessions and migrations: the only place that commits.

Services take a ``Session`` and may ``flush()``; a request, command or job runs in one
``unit_of_work`` that commits once at the end or rolls everything back (ADR 0002).

On SQLite several processes share one file (ADR 0004): WAL so readers never wait for the
writer, a busy timeout so a writer waits for the lock instead of failing, and units of work that
will write take the write lock at ``BEGIN IMMEDIATE``. A deferred transaction that reads first
and writes later cannot wait: once another process has committed since its first read, SQLite
refuses the upgrade at once with "database is locked", whatever the busy timeout.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Uuid,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from koppelvlak.errors import DatabaseUnavailable
from koppelvlak.kit.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base with a naming convention so SQLite and PostgreSQL migrations agree."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), uuid.UUID: Uuid()}  # noqa: RUF012  (SQLAlchemy's hook)


class Timestamped:
    """Created/updated stamps every personal-data row carries (change feed, retention)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, info={"pd": "none"})
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, info={"pd": "none"}
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()


WRITE_OPTION = "koppelvlak_write"
"""Execution option of a unit of work that will write: on SQLite it begins ``IMMEDIATE``."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before giving up (ADR 0004).

Write transactions are kept short (milliseconds to a few hundred), so only a queue of many
writers, or a long import, makes one wait; failing after 30 s still answers before a client's
usual 60 s timeout.
"""


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN so
    # SAVEPOINTs work, and enforce foreign keys, which SQLite leaves off by default.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The busy timeout first: even switching to WAL may have to wait for another process.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")  # persistent: once per database file
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe in WAL
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # The other half of the recipe: SQLAlchemy emits BEGIN itself, IMMEDIATE for writers.
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite or PostgreSQL with the pragmas and pool settings we rely on.

    Bound parameters are hidden from SQL errors: they are student ids, keys, scores and XML,
    and an error ends up in a log.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, **kwargs)


def session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write=True`` for units of work that will write.

    A writer's transaction takes SQLite's write lock when it begins (``BEGIN IMMEDIATE``), so it
    waits its turn under the busy timeout instead of failing when it first writes. On
    PostgreSQL the option changes nothing: row locks already wait.
    """
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_database(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a short reason when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as error:
        raise DatabaseUnavailable(f"database unreachable: {short_reason(error)}") from None


def short_reason(error: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's boilerplate or the SQL."""
    original = getattr(error, "orig", None) or error
    first = str(original).strip().splitlines()
    return first[0] if first else type(original).__name__


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def newest_migration() -> str:
    """The newest migration's revision, read off the file names without loading Alembic.

    Migrations are ``versions/NNNN_name.py`` with the stem as their revision, in one line of
    descent (the migration tests hold both to Alembic's own head).
    """
    return max(path.stem for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))


def stored_revisions(engine: Engine) -> list[str] | None:
    """The revisions the database records, or None where it has no version table yet."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return [str(row[0]) for row in rows]
    except DBAPIError:
        return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on this engine (the test database is built the same way).

    A database already at the newest migration is left alone without loading Alembic: every
    command on the embedded database calls this first, and loading the migration scripts
    alone cost a third of a CPU-second per command.
    """
    if revision == "head" and stored_revisions(engine) == [newest_migration()]:
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def refresh_statistics(engine: Engine, tables: Iterable[str]) -> None:
    """Analyse freshly bulk-loaded tables on PostgreSQL.

    Until autovacuum gets to them, PostgreSQL plans joins on empty-table statistics: the first
    release after a 50,000-student load took 9.5 s instead of 55 ms. SQLite needs nothing here.
    Table names come from our own metadata, never from input.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f'ANALYZE "{table}"')


def pd(category: str) -> dict[str, str]:
    """Label a column with its personal-data category; the processing register reads these.

    Categories: ``none`` (no personal data), ``identifier`` (keys and pseudonyms that single out
    a person), ``name``, ``contact``, ``birth_date``, ``demographic``, ``education`` (year group,
    enrolment, memberships), ``credential``, ``special`` (never shareable), ``payload`` (what a
    disclosure asked and sent, with the salts that commit to it; erasable, kept in the ledger),
    ``release`` (a rendered copy of what a connection may see: the kept release; rebuilt from the
    roster, erased with it).
    """
    return {"pd": category}
