"""Stored results: one batch per BrengLeerresultaten call, its tests, and one row per result.

A result belongs to a connection (the provider that sent it, for that school) and to the
internal student it was resolved to; the provider's own key for the student is kept as
received, for traceability. A provider that sends a result key again for the same connection
replaces the earlier result (pushes are retried in practice).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.db import Base, Timestamped, new_id, pd


class ResultBatch(Timestamped, Base):
    """One accepted ``leerresultaten_verzoek``."""

    __tablename__ = "result_batch"
    __table_args__ = (Index("ix_result_batch_board_id_connection_id", "board_id", "connection_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    provider_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    brin: Mapped[str] = mapped_column(String(4), info=pd("none"))
    location_code: Mapped[str] = mapped_column(String(2), info=pd("none"))
    school_year: Mapped[str] = mapped_column(String(9), info=pd("none"))
    created_at_source: Mapped[datetime] = mapped_column(info=pd("none"))  # aanmaakdatum
    author: Mapped[str | None] = mapped_column(String(128), info=pd("none"))
    xsd_version: Mapped[str] = mapped_column(String(32), info=pd("none"))
    comment: Mapped[str | None] = mapped_column(String(128), info=pd("none"))
    received_at: Mapped[datetime] = mapped_column(info=pd("none"))


class ResultTest(Timestamped, Base):
    """A test definition (``toets``) as the provider described it; not personal data."""

    __tablename__ = "result_test"
    __table_args__ = (UniqueConstraint("batch_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("result_batch.id", ondelete="CASCADE"), info=pd("none")
    )
    code: Mapped[str] = mapped_column(String(256), info=pd("none"))
    name: Mapped[str | None] = mapped_column(String(128), info=pd("none"))
    xml: Mapped[str] = mapped_column(Text, info=pd("none"))


class ResultScore(Timestamped, Base):
    """One ``resultaat`` of one student, resolved to the internal student."""

    __tablename__ = "result_score"
    __table_args__ = (
        UniqueConstraint("connection_id", "result_key"),
        Index("ix_result_score_board_id_student_id", "board_id", "student_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("result_batch.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(info=pd("none"))
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), info=pd("identifier")
    )
    provider_student_key: Mapped[str] = mapped_column(String(256), info=pd("identifier"))
    eckid: Mapped[str | None] = mapped_column(String(256), info=pd("identifier"))
    processor_id: Mapped[str | None] = mapped_column(String(256), info=pd("none"))
    result_key: Mapped[str] = mapped_column(String(256), info=pd("none"))
    taken_on: Mapped[date] = mapped_column(info=pd("education"))
    test_code: Mapped[str] = mapped_column(String(256), info=pd("education"))
    part_code: Mapped[str | None] = mapped_column(String(256), info=pd("education"))
    score: Mapped[int | None] = mapped_column(info=pd("education"))
    skill_score: Mapped[str | None] = mapped_column(String(32), info=pd("education"))
    xml: Mapped[str] = mapped_column(Text, info=pd("education"))
