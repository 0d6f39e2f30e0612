"""Scan every table of the schema for a person's values: the proof that erasure left no trace.

Every column of every table the metadata knows is read and turned into text (ids both as
``8-4-4-4-12`` and as hex, dates in ISO form, blobs as text and hex, JSON as written), so a
value that hides in a blob, a JSON document or a rendered release is found too.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import koppelvlak.all_models  # noqa: F401  (every table in the metadata)
from koppelvlak.db import Base


@dataclass(frozen=True)
class Trace:
    table: str
    column: str
    needle: str
    row: str  # the row's text, to tell whose it is


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, uuid.UUID):
        return [str(value), value.hex]
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return [raw.decode("utf-8", "replace"), raw.hex()]
    if isinstance(value, datetime | date):
        return [value.isoformat()]
    if isinstance(value, dict | list | tuple):
        return [json.dumps(value, default=str, ensure_ascii=False)]
    return [str(value)]


def traces(session: Session, needles: set[str]) -> list[Trace]:
    """Every place a needle occurs, case-insensitively, in any column of any table."""
    session.flush()
    lowered = {n.lower() for n in needles if n}
    found: list[Trace] = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            cells = {c.name: _texts(v) for c, v in zip(table.columns, row, strict=True)}
            whole = " | ".join(t for texts in cells.values() for t in texts).lower()
            for column, texts in cells.items():
                for needle in lowered:
                    if any(needle in t.lower() for t in texts):
                        found.append(Trace(table.name, column, needle, whole))
    return found
