"""Migrations build the same schema on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from koppelvlak.all_models import roster_models  # noqa: F401
from koppelvlak.db import (
    MIGRATIONS_DIR,
    Base,
    current_revision,
    head_revision,
    make_engine,
    newest_migration,
    refresh_statistics,
    upgrade,
)
from koppelvlak.roster.models import BULK_LOADED_TABLES

# A fresh interpreter: whether an upgrade of a current database loads Alembic at all.
_UPGRADE_PROBE = """
import sys
from koppelvlak.db import make_engine, upgrade
upgrade(make_engine(sys.argv[1]))
print("alembic" in sys.modules)
"""


def _schema(engine: Engine) -> dict[str, Any]:
    """A dialect-neutral picture: columns with nullability, unique sets, FKs and indexes."""
    inspector = inspect(engine)
    picture: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        picture[table] = {
            "columns": {c["name"]: bool(c["nullable"]) for c in inspector.get_columns(table)},
            "primary_key": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    (f.get("options") or {}).get("ondelete"),
                )
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                i["name"] for i in inspector.get_indexes(table) if not i.get("unique")
            ),
        }
    return picture


class TestMigrations:
    @pytest.mark.postgres
    def test_sqlite_and_postgresql_get_the_same_schema(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        sqlite = make_engine(fresh_database_url("sqlite"))
        postgres = make_engine(fresh_database_url("postgresql"))
        try:
            assert _schema(sqlite) == _schema(postgres)
        finally:
            sqlite.dispose()
            postgres.dispose()

    def test_an_upgraded_database_is_at_the_head_revision(self, engine: Engine) -> None:
        assert current_revision(engine) == head_revision()

    def test_the_models_and_the_migrations_do_not_drift(self, engine: Engine) -> None:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

    def test_upgrading_twice_changes_nothing(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        engine = make_engine(fresh_database_url("sqlite"))
        before = _schema(engine)
        upgrade(engine)
        assert _schema(engine) == before
        engine.dispose()

    def test_the_newest_migration_by_file_name_is_alembics_head(self) -> None:
        from alembic.script import ScriptDirectory

        from koppelvlak.db import alembic_config

        scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
        for script in scripts.walk_revisions():
            assert script.path.endswith(f"/versions/{script.revision}.py"), script.path
        assert newest_migration() == head_revision()
        assert len(list((MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))) == len(
            list(scripts.walk_revisions())
        )

    def test_a_current_database_is_not_migrated_again_and_alembic_is_not_loaded(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        url = fresh_database_url("sqlite")
        loaded = subprocess.run(
            [sys.executable, "-c", _UPGRADE_PROBE, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
        assert loaded == ["False"]

    def test_a_database_behind_is_still_brought_to_the_head(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        from alembic import command

        from koppelvlak.db import alembic_config

        url = fresh_database_url("sqlite")
        engine = make_engine(url)
        current = _schema(engine)
        command.downgrade(alembic_config(url), "-1")
        assert current_revision(engine) != head_revision()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _schema(engine) == current
        engine.dispose()


class TestStatisticsAfterBulkLoads:
    @pytest.mark.postgres
    def test_bulk_loaded_tables_are_analysed_on_postgresql(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        engine = make_engine(fresh_database_url("postgresql"))
        try:
            refresh_statistics(engine, BULK_LOADED_TABLES)
            with engine.connect() as connection:
                analysed = set(
                    connection.scalars(
                        text(
                            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                        )
                    )
                )
            assert set(BULK_LOADED_TABLES) <= analysed
        finally:
            engine.dispose()

    def test_sqlite_needs_no_statistics_step(
        self, fresh_database_url: Callable[[str], str]
    ) -> None:
        engine = make_engine(fresh_database_url("sqlite"))
        refresh_statistics(engine, BULK_LOADED_TABLES)  # a no-op that must not fail
        engine.dispose()
