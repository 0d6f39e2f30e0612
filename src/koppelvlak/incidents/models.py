"""Incident tables: one report per board, the connections it names, the board's mail recipient.

A provider's report that names connections of several boards becomes one incident per board,
so no board ever sees another's connections. The assessment and the authority notification
are columns of the incident: there is one of each, recorded by the DPO, with the actor.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.db import Base, new_id, pd


class IncidentKind(enum.StrEnum):
    OUTAGE = "outage"
    SUSPECTED_BREACH = "suspected_breach"


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    kind: Mapped[IncidentKind] = mapped_column(
        str_enum(IncidentKind, "incident_kind"), info=pd("none")
    )
    summary: Mapped[str] = mapped_column(Text, info=pd("none"))
    started_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    reported_at: Mapped[datetime] = mapped_column(info=pd("none"))
    reported_by: Mapped[str] = mapped_column(String(200), info=pd("none"))  # the client id
    assessment: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    notifiable: Mapped[bool | None] = mapped_column(info=pd("none"))  # a breach to report?
    assessed_by: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    assessed_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    authority_notified_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    authority_reference: Mapped[str | None] = mapped_column(String(200), info=pd("none"))


class IncidentConnection(Base):
    __tablename__ = "incident_connection"
    __table_args__ = (UniqueConstraint("incident_id", "connection_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )


class IncidentRecipient(Base):
    """Where a board wants incident mail (its DPO's or privacy desk's address)."""

    __tablename__ = "incident_recipient"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), unique=True, info=pd("none")
    )
    email: Mapped[str] = mapped_column(String(256), info=pd("contact"))
    set_by: Mapped[str] = mapped_column(String(200), info=pd("name"))
    set_at: Mapped[datetime] = mapped_column(info=pd("none"))
