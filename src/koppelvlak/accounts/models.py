"""Account tables: one login per person per board, and the trail of what each login did.

Passwords are argon2 hashes. The lock-out state lives on the row (not only in process memory),
so a restart or a second server process does not hand a guesser a fresh set of attempts.
``sessions_valid_after`` ends every session cookie issued before it: logging out is real even
though the cookie itself is stateless.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.catalogue.models import str_enum
from koppelvlak.connections.models import AdminRole
from koppelvlak.db import Base, new_id, pd


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("board_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    email: Mapped[str] = mapped_column(String(256), info=pd("contact"))
    role: Mapped[AdminRole] = mapped_column(str_enum(AdminRole, "account_role"), info=pd("none"))
    password_hash: Mapped[str] = mapped_column(String(256), info=pd("credential"))
    failed_logins: Mapped[int] = mapped_column(default=0, info=pd("none"))
    locked_until: Mapped[datetime | None] = mapped_column(info=pd("none"))
    sessions_valid_after: Mapped[datetime] = mapped_column(info=pd("none"))
    created_at: Mapped[datetime] = mapped_column(info=pd("none"))
    last_login_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class AccountEvent(Base):
    """One thing a login did (log in, lock-out, approve, send consent requests …), with when."""

    __tablename__ = "account_event"
    __table_args__ = (Index("ix_account_event_board_at", "board_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), info=pd("none")
    )
    at: Mapped[datetime] = mapped_column(info=pd("none"))
    action: Mapped[str] = mapped_column(String(64), info=pd("none"))
    subject: Mapped[str | None] = mapped_column(String(200), info=pd("identifier"))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, info=pd("payload"))


class ConsentRequest(Base):
    """A request to a guardian for a child's consent under one connection, sent by e-mail.

    The guardian's signed link names this row. Each action is single-use: one decision (grant or
    refuse) and, after a grant, one withdrawal; a new request is needed for anything after that.
    The decision itself is recorded by ``connections.exceptions.record_consent``; this row only
    remembers what the link has already been used for.
    """

    __tablename__ = "consent_request"
    __table_args__ = (Index("ix_consent_request_connection", "connection_id", "student_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), info=pd("none")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), info=pd("identifier")
    )
    guardian_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("guardian.id", ondelete="CASCADE"), info=pd("identifier")
    )
    sent_by: Mapped[str] = mapped_column(String(300), info=pd("none"))
    sent_at: Mapped[datetime] = mapped_column(info=pd("none"))
    expires_at: Mapped[datetime] = mapped_column(info=pd("none"))
    decision: Mapped[str | None] = mapped_column(String(16), info=pd("none"))
    decided_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
