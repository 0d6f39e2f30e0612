"""A deterministic synthetic board for demos, tests and benchmarks.

Everything derives from one seeded ``random.Random``: the same seed gives the same people,
keys and internal ids, so demo credentials, pseudonyms and benchmark inputs are reproducible.
Rows go in with bulk ``INSERT … VALUES`` batches, not one ORM object at a time, so a
50,000-student board takes seconds.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from koppelvlak.kit.clock import utcnow
from koppelvlak.roster.demo_generator import Generator
from koppelvlak.roster.models import (
    Board,
    Group,
    Guardian,
    Guardianship,
    School,
    SchoolYear,
    Staff,
    StaffMembership,
    Student,
    StudentMembership,
)

DEMO_BOARD_CODE = "DEMO"
_BATCH = 5_000


def school_year_of(day: date) -> str:
    """The school year a day falls in; a Dutch school year starts on 1 August."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


@dataclass
class DemoSummary:
    board_id: uuid.UUID
    school_year: str
    counts: dict[str, int] = field(default_factory=dict)


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def find_demo_board(session: Session) -> uuid.UUID | None:
    return session.scalar(select(Board.id).where(Board.code == DEMO_BOARD_CODE))


def board_contents(session: Session, board_id: uuid.UUID) -> dict[str, int]:
    """Rows per table that carry the board's id (only tables that hold any), board row included.

    Every table is asked, whatever context it belongs to (the ledger too), so a caller about to
    remove a board can say exactly what would go, and refuse when something must not.
    """
    import koppelvlak.all_models  # noqa: F401  (every context's tables, not only those imported so far)
    from koppelvlak.db import Base

    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if "board_id" in table.c:
            count = session.scalar(
                select(func.count()).select_from(table).where(table.c.board_id == board_id)
            )
            if count:
                counts[table.name] = count
    counts[Board.__tablename__] = 1 if session.get(Board, board_id) is not None else 0
    return counts


def remove_board(session: Session, board_id: uuid.UUID) -> dict[str, int]:
    """Delete a board and everything that carries its id (children before parents).

    Returns what was removed, as ``board_contents`` counted it just before.
    """
    import koppelvlak.all_models  # noqa: F401  (every context's tables, not only those imported so far)
    from koppelvlak.db import Base

    removed = board_contents(session, board_id)
    for table in reversed(Base.metadata.sorted_tables):
        if "board_id" in table.c:
            session.execute(delete(table).where(table.c.board_id == board_id))
    session.execute(delete(Board).where(Board.id == board_id))
    return removed


def build_demo_board(
    session: Session, *, students: int, seed: int, school_year: str
) -> DemoSummary:
    """Create the demo roster in this session (flushes, never commits)."""
    rng = random.Random(seed)  # noqa: S311
    board_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    now = utcnow()
    session.execute(
        insert(Board).values(
            id=board_id,
            code=DEMO_BOARD_CODE,
            name="Stichting Demoscholen",
            created_at=now,
            updated_at=now,
        )
    )
    school_year_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    start = int(school_year[:4])
    session.execute(
        insert(SchoolYear).values(
            id=school_year_id,
            board_id=board_id,
            name=school_year,
            starts_on=date(start, 8, 1),
            ends_on=date(start + 1, 7, 31),
            created_at=now,
            updated_at=now,
        )
    )
    rows = Generator(board_id, students, seed, school_year).build(school_year_id)
    plan: list[tuple[type[Any], list[dict[str, Any]]]] = [
        (School, rows.schools),
        (Group, rows.groups),
        (Student, rows.students),
        (Staff, rows.staff),
        (Guardian, rows.guardians),
        (Guardianship, rows.guardianships),
        (StudentMembership, rows.student_memberships),
        (StaffMembership, rows.staff_memberships),
    ]
    for model, model_rows in plan:
        for batch in _batches(model_rows):
            session.execute(insert(model.__table__), batch)
    counts = {model.__tablename__: len(model_rows) for model, model_rows in plan}
    return DemoSummary(board_id=board_id, school_year=school_year, counts=counts)
