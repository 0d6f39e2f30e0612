"""Data-subject request tables: the request, every step taken on it, and the links used.

A request keeps its whole workflow as rows in ``rights_request_event`` (who, when, from which
state to which, why), so the DPO can show the supervisory authority every step. A signed link
is single-use: its ``jti`` is stored when it files a request, and a second use is refused.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.connections.models import PersonKindColumn
from koppelvlak.db import Base, new_id, pd


class RequestKind(enum.StrEnum):
    ACCESS = "access"  # GDPR art. 15
    RECTIFICATION = "rectification"  # art. 16
    ERASURE = "erasure"  # art. 17
    RESTRICTION = "restriction"  # art. 18
    OBJECTION = "objection"  # art. 21


class RequestState(enum.StrEnum):
    RECEIVED = "received"
    IDENTITY_CHECKED = "identity_checked"
    APPROVED = "approved"
    REFUSED = "refused"
    CARRIED_OUT = "carried_out"


class RequestChannel(enum.StrEnum):
    ADMIN = "admin"  # filed by an admin or the DPO (API or CLI)
    LINK = "link"  # filed by the person or a guardian through a signed link


class RightsRequest(Base):
    """One data-subject request for one person of one board."""

    __tablename__ = "rights_request"
    __table_args__ = (Index("ix_rights_request_board_id_person_id", "board_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    kind: Mapped[RequestKind] = mapped_column(
        str_enum(RequestKind, "rights_request_kind"), info=pd("none")
    )
    state: Mapped[RequestState] = mapped_column(
        str_enum(RequestState, "rights_request_state"), info=pd("none")
    )
    channel: Mapped[RequestChannel] = mapped_column(
        str_enum(RequestChannel, "rights_request_channel"), info=pd("none")
    )
    person_kind: Mapped[PersonKindColumn] = mapped_column(
        str_enum(PersonKindColumn, "person_kind"), info=pd("none")
    )
    # None once the person is erased: the request stays as the record that it was carried out.
    person_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("identifier"))
    # For an objection or restriction: the one provider it is about (none: every provider).
    provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("provider.id", ondelete="SET NULL"), info=pd("none")
    )
    filed_by: Mapped[str] = mapped_column(String(200), info=pd("identifier"))
    contact_email: Mapped[str | None] = mapped_column(String(256), info=pd("contact"))
    details: Mapped[str | None] = mapped_column(Text, info=pd("payload"))
    received_at: Mapped[datetime] = mapped_column(info=pd("none"))
    deadline: Mapped[datetime] = mapped_column(info=pd("none"))
    extended_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    extension_reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    refusal_reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    outcome: Mapped[str | None] = mapped_column(Text, info=pd("none"))
    reminded_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    closed_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class RightsRequestEvent(Base):
    """One step of a request: who took it, when, and why."""

    __tablename__ = "rights_request_event"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), info=pd("none")
    )
    seq: Mapped[int] = mapped_column(info=pd("none"))
    at: Mapped[datetime] = mapped_column(info=pd("none"))
    actor: Mapped[str] = mapped_column(String(200), info=pd("identifier"))
    action: Mapped[str] = mapped_column(String(32), info=pd("none"))
    from_state: Mapped[str | None] = mapped_column(String(16), info=pd("none"))
    to_state: Mapped[str | None] = mapped_column(String(16), info=pd("none"))
    reason: Mapped[str | None] = mapped_column(Text, info=pd("none"))


class UsedRightsLink(Base):
    """The ``jti`` of a signed request link that has been used: it never files a second one."""

    __tablename__ = "used_rights_link"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), info=pd("none")
    )
    used_at: Mapped[datetime] = mapped_column(info=pd("none"))
