"""Fixed-text reads on the DBAPI cursor of a session's transaction, for per-request checks.

Every provider request runs a few tiny indexed reads (is the credential usable, which
connections are active, the kept release's heads) before its page. Through SQLAlchemy each
cost more CPU than the database's own work (an ORM ``session.get`` ~3 ms profiled, against
~0.1 ms for the cursor; bench/README.md, provider API), so these reads take the cursor of the
session's own transaction: same snapshot, same connection, no statement building. Statements
are written with ``%s`` placeholders and run on both drivers; values travel as the ORM's column
types store them (``ids``, ``moments``). Driver errors become SQLAlchemy's, which the
interfaces already answer with 503.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc


class Reader:
    """The DBAPI cursor of ``session``'s transaction (begun if it was not yet)."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.native = connection.dialect.name == "postgresql"
        self._cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # an open connection has its DBAPI connection
        self._error: type[Exception] = connection.dialect.loaded_dbapi.Error

    def id(self, value: uuid.UUID) -> object:
        """An id as its column stores it: native on PostgreSQL, 32 hex digits on SQLite."""
        return value if self.native else value.hex

    def moment(self, value: datetime) -> object:
        utc = as_utc(value)
        return utc if self.native else utc.strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def uuid(value: object) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    @staticmethod
    def stamp(value: object) -> datetime | None:
        """A stored timestamp as an aware UTC datetime (SQLite keeps naive UTC text)."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return as_utc(value)
        return as_utc(datetime.fromisoformat(str(value)))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        text = sql if self.native else sql.replace("%s", "?")
        try:
            self._cursor.execute(text, tuple(params))
            return list(self._cursor.fetchall())
        except self._error as error:
            raise DBAPIError.instance(
                sql, None, error, self._error, hide_parameters=True
            ) from error
