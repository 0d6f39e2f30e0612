"""The kept release: per connection, every object the provider may see now, ready to send.

``kept_release`` holds one row per connection with its monotone release version; ``kept_object``
one row per OneRoster object (user, enrollment, class, course, org, academic session,
demographics record) with the record rendered as the provider receives it (hrefs relative to the
base path), its own ``modified_at`` that moves only when what *this provider* sees of it changes,
and its status. An object that leaves the release stays as ``tobedeleted`` for a window
(``KOPPELVLAK_TOBEDELETED_DAYS``), so every delta reports it. ``refresh`` in ``release.kept``
is the only writer; ``resolve`` remains the rule it must equal (``koppelvlak release check``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.db import Base, pd


class KeptRelease(Base):
    __tablename__ = "kept_release"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), primary_key=True, info=pd("none")
    )
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(index=True, info=pd("none"))
    version: Mapped[int] = mapped_column(default=0, info=pd("none"))
    attribute_ids: Mapped[str] = mapped_column(Text, default="[]", info=pd("none"))  # JSON list
    # JSON {"collection kind": active objects}: a page's total without counting rows.
    counts: Mapped[str] = mapped_column(Text, default="{}", info=pd("none"))
    refreshed_at: Mapped[datetime] = mapped_column(info=pd("none"))
    # Up to when the whole release followed the calendar (ages, end and removal dates): a
    # partial refresh moves ``refreshed_at`` only. None: the next scheduled refresh is whole.
    calendar_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class KeptObject(Base):
    """One object of one connection's release; a deviation from house style: a natural key.

    ``(connection_id, collection, key)`` is what every page, delta and drift check looks up;
    a UUID per object would only add an index. ``modified_at`` is the object's own stamp.
    """

    __tablename__ = "kept_object"
    __table_args__ = (
        Index("ix_kept_object_modified", "connection_id", "collection", "modified_at"),
        Index("ix_kept_object_person", "connection_id", "person_id"),
        # A page skips its offset inside this index: status and kind are read from it too.
        Index("ix_kept_object_page", "connection_id", "collection", "status", "key", "kind"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kept_release.connection_id", ondelete="CASCADE"),
        primary_key=True,
        info=pd("none"),
    )
    collection: Mapped[str] = mapped_column(String(24), primary_key=True, info=pd("none"))
    key: Mapped[str] = mapped_column(String(200), primary_key=True, info=pd("identifier"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    kind: Mapped[str] = mapped_column(String(24), info=pd("none"))  # student, teacher, school, …
    person_id: Mapped[uuid.UUID | None] = mapped_column(info=pd("identifier"))
    status: Mapped[str] = mapped_column(String(16), info=pd("none"))  # active | tobedeleted
    modified_at: Mapped[datetime] = mapped_column(info=pd("none"))
    version: Mapped[int] = mapped_column(info=pd("none"))
    digest: Mapped[str] = mapped_column(String(32), info=pd("none"))
    body: Mapped[str] = mapped_column(Text, info=pd("release"))
    links: Mapped[str] = mapped_column(Text, info=pd("identifier"))  # JSON list of sourcedIds
    values: Mapped[str | None] = mapped_column(Text, info=pd("release"))  # for UWLR answers
    left_reason: Mapped[str | None] = mapped_column(String(32), info=pd("none"))
