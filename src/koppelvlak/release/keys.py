"""Internal ids as the database hands them back, and their conversions at the edges.

Inside a release, ids stay *raw*: a ``uuid.UUID`` from PostgreSQL, the 32-hex text from SQLite.
They are only compared and hashed, so they need no conversion; ``as_uuid`` and ``canonical``
turn the few that leave (released people and groups) into UUIDs and pseudonym input.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TypeAlias

from koppelvlak.kit.clock import as_utc

Key: TypeAlias = uuid.UUID | str


def raw_of(value: uuid.UUID, native: bool) -> Key:
    """The raw form a driver returns for this UUID: itself when native, else its hex."""
    return value if native else value.hex


def as_uuid(key: Key) -> uuid.UUID:
    return key if isinstance(key, uuid.UUID) else uuid.UUID(hex=key)


def canonical(key: Key) -> str:
    """The hyphenated text of the id, as ``str(uuid)`` gives it (the pseudonym's input)."""
    if isinstance(key, uuid.UUID):
        return str(key)
    h = key.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stamp(value: datetime | str) -> datetime:
    """A raw timestamp as an aware UTC datetime (SQLite stores naive UTC text)."""
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value))
    return as_utc(value)


def day(value: date | str | None) -> date | None:
    """A raw date column as a ``date`` (SQLite stores ISO text)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value
