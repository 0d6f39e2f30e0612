"""Roster tables: boards, schools, school years, groups, people and memberships.

Every row that holds personal data carries ``board_id`` (tenant and future shard key),
created/updated stamps and a removal mark (``removed_at``), so a change feed, deletion
notices and retention follow from the data rather than from bookkeeping elsewhere.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppelvlak.db import Base, Timestamped, new_id, pd


class Sector(enum.StrEnum):
    PO = "PO"
    VO = "VO"
    MBO = "MBO"


class GroupKind(enum.StrEnum):
    CLASS_GROUP = "class_group"  # UWLR groep (stamgroep): a student has at most one
    TEACHING_GROUP = "teaching_group"  # lesgroep / OneRoster scheduled class
    COMPOSITE_GROUP = "composite_group"  # UWLR samengestelde_groep


class Sex(enum.StrEnum):
    UNKNOWN = "unknown"  # ISO 5218 code 0
    MALE = "male"  # 1
    FEMALE = "female"  # 2
    UNSPECIFIED = "unspecified"  # 9


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, identical on SQLite and PostgreSQL.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Removable(Timestamped):
    removed_at: Mapped[datetime | None] = mapped_column(info=pd("none"))


class Board(Timestamped, Base):
    """A school board (bevoegd gezag): the tenant."""

    __tablename__ = "board"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    code: Mapped[str] = mapped_column(String(32), unique=True, info=pd("none"))
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))


class School(Removable, Base):
    """A school location: BRIN code plus location code (dependancecode, '00' for none)."""

    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("board_id", "brin", "location_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    brin: Mapped[str] = mapped_column(String(4), info=pd("none"))
    location_code: Mapped[str] = mapped_column(String(2), default="00", info=pd("none"))
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))
    sector: Mapped[Sector] = mapped_column(_enum(Sector, "sector"), info=pd("none"))
    # The source system's own key for the school (a OneRoster org sourcedId); UWLR has none.
    source_key: Mapped[str | None] = mapped_column(String(256), info=pd("none"))
    # The source bytes and roster state of this school's last sync (roster/sync_state.py):
    # when both are unchanged, a re-sync skips the school. Written without touching updated_at.
    sync_fingerprint: Mapped[str | None] = mapped_column(String(64), info=pd("none"))


class SchoolYear(Timestamped, Base):
    __tablename__ = "school_year"
    __table_args__ = (UniqueConstraint("board_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    name: Mapped[str] = mapped_column(String(9), info=pd("none"))  # "2024-2025"
    starts_on: Mapped[date] = mapped_column(info=pd("none"))
    ends_on: Mapped[date] = mapped_column(info=pd("none"))


class Group(Removable, Base):
    """A class group, teaching group or composite group, keyed by its LAS key."""

    __tablename__ = "roster_group"
    __table_args__ = (UniqueConstraint("school_id", "source_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    school_year_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("school_year.id", ondelete="SET NULL"), info=pd("none")
    )
    source_key: Mapped[str] = mapped_column(String(256), info=pd("none"))
    kind: Mapped[GroupKind] = mapped_column(_enum(GroupKind, "group_kind"), info=pd("none"))
    name: Mapped[str] = mapped_column(String(200), info=pd("none"))
    description: Mapped[str | None] = mapped_column(String(256), info=pd("none"))
    year_group: Mapped[str | None] = mapped_column(String(2), info=pd("none"))


class Student(Removable, Base):
    """A student; names follow Dutch practice (prefix such as 'van der', call name)."""

    __tablename__ = "student"
    __table_args__ = (
        UniqueConstraint("school_id", "source_key"),
        Index("ix_student_board_id_removed_at", "board_id", "removed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    source_key: Mapped[str] = mapped_column(String(256), info=pd("identifier"))
    eckid: Mapped[str | None] = mapped_column(String(256), info=pd("identifier"))
    family_name: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    name_prefix: Mapped[str | None] = mapped_column(String(10), info=pd("name"))
    given_name: Mapped[str | None] = mapped_column(String(64), info=pd("name"))
    first_names: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    initials: Mapped[str | None] = mapped_column(String(10), info=pd("name"))
    birth_date: Mapped[date | None] = mapped_column(info=pd("birth_date"))
    sex: Mapped[Sex | None] = mapped_column(_enum(Sex, "sex"), info=pd("demographic"))
    year_group: Mapped[str | None] = mapped_column(String(2), info=pd("education"))
    email: Mapped[str | None] = mapped_column(String(256), info=pd("contact"))
    username: Mapped[str | None] = mapped_column(String(64), info=pd("identifier"))
    group3_start_date: Mapped[date | None] = mapped_column(info=pd("education"))
    enrolment_start: Mapped[date | None] = mapped_column(info=pd("education"))
    enrolment_end: Mapped[date | None] = mapped_column(info=pd("education"))
    # UWLR vestiging key (a branch of the school) and photo address, kept as the LAS sends them.
    location_key: Mapped[str | None] = mapped_column(String(256), info=pd("education"))
    photo_url: Mapped[str | None] = mapped_column(String(256), info=pd("identifier"))


class Staff(Removable, Base):
    """A teacher or other staff member of a school."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("school_id", "source_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), info=pd("none")
    )
    source_key: Mapped[str] = mapped_column(String(256), info=pd("identifier"))
    eckid: Mapped[str | None] = mapped_column(String(256), info=pd("identifier"))
    family_name: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    name_prefix: Mapped[str | None] = mapped_column(String(10), info=pd("name"))
    given_name: Mapped[str | None] = mapped_column(String(64), info=pd("name"))
    first_names: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    initials: Mapped[str | None] = mapped_column(String(10), info=pd("name"))
    email: Mapped[str | None] = mapped_column(String(256), info=pd("contact"))
    username: Mapped[str | None] = mapped_column(String(64), info=pd("identifier"))
    role: Mapped[str | None] = mapped_column(String(8), info=pd("education"))  # UWLR rol, e.g. LRK
    role_description: Mapped[str | None] = mapped_column(String(64), info=pd("education"))


class Guardian(Removable, Base):
    """A parent or guardian; linked to children through guardianships."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("board_id", "source_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    source_key: Mapped[str] = mapped_column(String(256), info=pd("identifier"))
    family_name: Mapped[str | None] = mapped_column(String(200), info=pd("name"))
    name_prefix: Mapped[str | None] = mapped_column(String(10), info=pd("name"))
    given_name: Mapped[str | None] = mapped_column(String(64), info=pd("name"))
    email: Mapped[str | None] = mapped_column(String(256), info=pd("contact"))
    phone: Mapped[str | None] = mapped_column(String(32), info=pd("contact"))


class Guardianship(Removable, Base):
    """Guardian ↔ student, with the relation (parent, guardian, foster parent, …)."""

    __tablename__ = "guardianship"
    __table_args__ = (UniqueConstraint("guardian_id", "student_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    guardian_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("guardian.id", ondelete="CASCADE"), info=pd("none")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    relation: Mapped[str] = mapped_column(String(32), info=pd("demographic"))


class StudentMembership(Removable, Base):
    __tablename__ = "student_membership"
    __table_args__ = (UniqueConstraint("student_id", "group_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), info=pd("education")
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roster_group.id", ondelete="CASCADE"), index=True, info=pd("education")
    )


class StaffMembership(Removable, Base):
    __tablename__ = "staff_membership"
    __table_args__ = (UniqueConstraint("staff_id", "group_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), info=pd("education")
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roster_group.id", ondelete="CASCADE"), index=True, info=pd("education")
    )
    role: Mapped[str | None] = mapped_column(String(64), info=pd("education"))


class ImportOutcome(enum.StrEnum):
    OK = "ok"
    ERROR = "error"


class EntityKind(enum.StrEnum):
    SCHOOL = "school"
    GROUP = "group"
    STUDENT = "student"
    STAFF = "staff"
    GUARDIAN = "guardian"
    GUARDIANSHIP = "guardianship"
    STUDENT_MEMBERSHIP = "student_membership"
    STAFF_MEMBERSHIP = "staff_membership"


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


class ImportRun(Base):
    """One import or sync attempt: the admin's import history, refused attempts included.

    ``board_id`` is empty when a refused import never reached a board. The error and warnings
    may quote a source key, so they are labelled as identifiers.
    """

    __tablename__ = "import_run"
    __table_args__ = (Index("ix_import_run_board_id_started_at", "board_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    started_at: Mapped[datetime] = mapped_column(info=pd("none"))
    finished_at: Mapped[datetime | None] = mapped_column(info=pd("none"))
    source_kind: Mapped[str] = mapped_column(String(16), info=pd("none"))  # uwlr, oneroster, …
    source: Mapped[str] = mapped_column(String(1000), info=pd("none"))
    outcome: Mapped[ImportOutcome] = mapped_column(
        _enum(ImportOutcome, "import_outcome"), info=pd("none")
    )
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=pd("none"))
    warnings: Mapped[list[str] | None] = mapped_column(JSON, info=pd("identifier"))
    error: Mapped[str | None] = mapped_column(Text, info=pd("identifier"))
    location: Mapped[str | None] = mapped_column(String(1000), info=pd("identifier"))


class RosterChange(Base):
    """What one import changed, row by row: drives the delta API and the deletion notices."""

    __tablename__ = "roster_change"
    __table_args__ = (Index("ix_roster_change_board_id_at", "board_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, info=pd("none"))
    board_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("board.id", ondelete="CASCADE"), info=pd("none")
    )
    import_run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), index=True, info=pd("none")
    )
    entity_kind: Mapped[EntityKind] = mapped_column(
        _enum(EntityKind, "entity_kind"), info=pd("none")
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(info=pd("identifier"))
    change_kind: Mapped[ChangeKind] = mapped_column(
        _enum(ChangeKind, "change_kind"), info=pd("none")
    )
    changed_fields: Mapped[list[str] | None] = mapped_column(JSON, info=pd("none"))
    at: Mapped[datetime] = mapped_column(info=pd("none"))


# The tables a bulk load fills; their statistics are refreshed after an import or a demo.
BULK_LOADED_TABLES = tuple(
    model.__tablename__
    for model in (
        School,
        Group,
        Student,
        Staff,
        Guardian,
        Guardianship,
        StudentMembership,
        StaffMembership,
    )
)
