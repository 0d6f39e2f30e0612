"""Bulk reads and writes for the sync: plain tuples straight to and from the driver.

SQLAlchemy's per-row parameter processing (UUIDs, timestamps, enums, JSON) costs more than the
database itself for 100,000-row writes, so the sync builds rows of raw values (ids as hex,
dates as ISO text, enums as values, timestamps converted once per run) and hands plain tuples
to the driver. The SQL is parameterised and names only our own tables and columns (ADR 0012).
Values are stored exactly as the ORM stores them (the round-trip tests read them back through
the ORM), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import enum
import json
import operator
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

_BATCH = 10_000
# SQLite's page cache while a sync writes (KiB; SQLite's default is 2 MiB). The random-keyed
# indexes of 50,000 students and 100,000 memberships are some 20 MiB: in the default cache
# every insert re-reads and spills index pages (ADR 0151).
SYNC_CACHE_KIB = 32 * 1024


def raw(value: Any) -> Any:
    """A value as the sync compares and writes it: ids as 32-digit hex, dates as ISO text,
    enums as their value. Idempotent, so raw values pass through unchanged."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _getter(columns: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    get = operator.itemgetter(*columns)
    if len(columns) == 1:
        return lambda row: (get(row),)
    return get


class Writer:
    """Inserts and updates for one session, in the driver's own parameter style."""

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def stamp(self, moment: datetime) -> Any:
        """A timestamp as this driver stores it (SQLAlchemy's SQLite text format, UTC)."""
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows of raw values (see ``raw`` and ``stamp``), all with the keys of the first."""
        if not rows:
            return
        columns = list(rows[0])
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  (names from our metadata; values are parameters)
        self._run(sql, [*map(_getter(columns), rows)])

    def insert_tuples(
        self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Rows of raw values in the order of ``columns``."""
        if not rows:
            return
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  (names from our metadata; values are parameters)
        self._run(sql, rows)

    def update(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows of raw values with ``row_id`` plus the columns to set; one statement per shape."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(tuple(name for name in row if name != "row_id"), []).append(row)
        for columns, batch in shapes.items():
            sets = ", ".join(f"{name} = {self.mark}" for name in columns)
            sql = f"UPDATE {table.name} SET {sets} WHERE id = {self.mark}"  # noqa: S608  (as above)
            self._run(sql, [*map(_getter([*columns, "row_id"]), batch)])

    @contextmanager
    def roomy_cache(self) -> Iterator[None]:
        """On SQLite, a page cache of ``SYNC_CACHE_KIB`` for the block, then the one before.

        The connection's setting, not the database's: it lasts while the block writes and is
        put back before the unit of work commits (which writes every dirty page whatever the
        cache size). PostgreSQL's buffers are the server's: nothing to do there.
        """
        if not self.sqlite:
            yield
            return
        before = self.connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        self.connection.exec_driver_sql(f"PRAGMA cache_size = -{SYNC_CACHE_KIB:d}")
        try:
            yield
        finally:
            # Never hide the error that ends the block: a cache left larger only costs memory
            # until the connection is closed.
            with suppress(SQLAlchemyError):
                self.connection.exec_driver_sql(f"PRAGMA cache_size = {int(before):d}")

    def select(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of a query with ``{}`` for each parameter mark, values as the driver gives them
        (strings on SQLite; on PostgreSQL made raw here)."""
        result = self.connection.exec_driver_sql(
            sql.format(*[self.mark] * len(params)), tuple(raw(p) for p in params)
        )
        rows = [tuple(row) for row in result]
        if self.sqlite:
            return rows
        return [tuple(raw(value) for value in row) for row in rows]

    def execute(self, sql: str, *params: Any) -> None:
        """One statement with ``{}`` for each parameter mark (raw values)."""
        self.connection.exec_driver_sql(
            sql.format(*[self.mark] * len(params)), tuple(raw(p) for p in params)
        )

    def _run(self, sql: str, values: list[tuple[Any, ...]]) -> None:
        for start in range(0, len(values), _BATCH):
            self.connection.exec_driver_sql(sql, values[start : start + _BATCH])
