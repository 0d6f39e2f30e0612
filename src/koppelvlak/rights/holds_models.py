"""Tables of erasure and retention: legal holds, the minimal erasure record, purge plans.

A legal hold names either one person or one purpose, with its reason, who placed it and when,
and when and by whom it was lifted; while it stands, neither erasure nor the retention purge
touches what it covers (ADR 0115). The erasure record is what the law still asks for after an
erasure: that one was carried out, when, under which request, and how much went; it names
nobody (ADR 0116). A purge plan is the approval step of the retention purge: what a dry run
found, as counts and a fingerprint of the rows, approved by a DPO before it may run (ADR 0118).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.db import Base, new_id, pd


class LegalHold(Base):
    """A hold on one person or one purpose; lifting it keeps the row (who lifted, when)."""

    __tablename__ = "legal_hold"
    __table_args__ = (
        Index("ix_legal_hold_board_id_person_id", "board_id", "person_id"),
        CheckConstraint("(person_id IS NULL) <> (purpose_code IS NULL)", name="person_or_purpose"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("identifier"))
    purpose_code: Mapped[str | None] = mapped_column(String(64), info=pd("none"))
    # Why the data must stay (a court case, a complaint): the DPO's words, kept with the hold.
    reason: Mapped[str] = mapped_column(Text, info=pd("none"))
    placed_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    placed_at: Mapped[datetime] = mapped_column(info=pd("none"))
    lifted_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    lifted_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    lift_reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class ErasureKind(enum.StrEnum):
    REQUEST = "request"  # an erasure request (GDPR art. 17)
    RETENTION = "retention"  # the retention purge


class ErasureRecord(Base):
    """That an erasure was carried out, when, under which request, and what went: no person."""

    __tablename__ = "erasure_record"
    __table_args__ = (Index("ix_erasure_record_board_id_erased_at", "board_id", "erased_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    kind: Mapped[ErasureKind] = mapped_column(
        str_enum(ErasureKind, "erasure_kind"), info=pd("none")
    )
    request_ref: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    purge_plan_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("none"))
    person_kind: Mapped[str] = mapped_column(String(16), info=pd("none"))  # student, staff, …
    erased_at: Mapped[datetime] = mapped_column(info=pd("none"))
    erased_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    # Rows removed per table and the deletion notices made ({"student": 1, "notices": 2, …}).
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=pd("none"))


class PlanState(enum.StrEnum):
    PLANNED = "planned"
    APPROVED = "approved"
    DONE = "done"


class PurgePlan(Base):
    """One retention purge: planned, approved by a DPO, run; the rows are found again at run.

    ``fingerprint`` is a digest of exactly what the plan found (row ids and the ledger cut-off);
    the run recomputes it and refuses when it moved, so nothing goes that the DPO did not see.
    """

    __tablename__ = "purge_plan"
    __table_args__ = (Index("ix_purge_plan_board_id_planned_at", "board_id", "planned_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    state: Mapped[PlanState] = mapped_column(str_enum(PlanState, "plan_state"), info=pd("none"))
    as_of: Mapped[datetime] = mapped_column(info=pd("none"))  # the moment retention is judged at
    fingerprint: Mapped[str] = mapped_column(String(64), info=pd("none"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=pd("none"))
    planned_by: Mapped[str] = mapped_column(String(200), info=pd("none"))
    planned_at: Mapped[datetime] = mapped_column(info=pd("none"))
    approved_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    approved_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    ran_by: Mapped[str | None] = mapped_column(String(200), info=pd("none"))
    ran_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
