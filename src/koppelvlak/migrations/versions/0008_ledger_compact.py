"""compact ledger: one payload row per entry with person numbers, per-person keys

Revision ID: 0008_ledger_compact
Revises: 0070_school_fingerprint
Create Date: 2026-12-02 06:00:00

Entries already recorded keep their chain hashes: their payloads and subjects move into the
new ``audit_payload`` as they were (``v1_details``, ``v1_subjects``) and are verified by the
old rules (``audit/legacy.py``); each person they name gets a key and a number, so the
per-person view and erasure reach them too (ADR 0031).
"""

import secrets
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_ledger_compact"
down_revision: str | None = "0070_school_fingerprint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000


def _people_type() -> sa.types.TypeEngine[bytes]:
    return sa.LargeBinary().with_variant(postgresql.ARRAY(sa.Integer()), "postgresql")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_chain", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erasures", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.create_table(
        "audit_person_key",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_audit_person_key_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_person_key")),
        sa.UniqueConstraint(
            "board_id", "person_id", name=op.f("uq_audit_person_key_board_id_person_id")
        ),
        sqlite_autoincrement=True,
    )
    op.rename_table("audit_payload", "audit_payload_v1")
    if bind.dialect.name == "postgresql":  # index names are per schema there
        op.execute("ALTER INDEX pk_audit_payload RENAME TO pk_audit_payload_v1")
    op.create_table(
        "audit_payload",
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("attribute_ids", sa.Text(), nullable=True),
        sa.Column("people", _people_type(), nullable=True),
        sa.Column("erased", sa.LargeBinary(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("v1_details", sa.String(length=64), nullable=True),
        sa.Column("v1_subjects", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id", "sequence"],
            ["audit_entry.board_id", "audit_entry.sequence"],
            name=op.f("fk_audit_payload_board_id_audit_entry"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_audit_payload_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("board_id", "sequence", name=op.f("pk_audit_payload")),
    )
    op.create_index(
        "ix_audit_payload_people",
        "audit_payload",
        ["people"],
        unique=False,
        postgresql_using="gin",
        postgresql_with={"gin_pending_list_limit": 256},  # kB: keeps person queries quick
        sqlite_where=sa.text("0"),
    )
    _move_old_payloads(bind)
    with op.batch_alter_table("audit_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_subject_entry_id"))
        batch_op.drop_index("ix_audit_subject_board_id_person_id")
    op.drop_table("audit_subject")
    op.drop_table("audit_payload_v1")


def _move_old_payloads(bind: sa.Connection) -> None:
    """Copy every old payload and its subjects into the new form, one board at a time."""
    old = sa.table(
        "audit_payload_v1",
        sa.column("entry_id", sa.Uuid()),
        sa.column("board_id", sa.Uuid()),
        sa.column("details_commitment", sa.String()),
        sa.column("salt", sa.String()),
        sa.column("query", sa.Text()),
        sa.column("attribute_ids", sa.Text()),
        sa.column("erased_at", sa.DateTime(timezone=True)),
    )
    subject = sa.table(
        "audit_subject",
        sa.column("board_id", sa.Uuid()),
        sa.column("sequence", sa.Integer()),
        sa.column("commitment", sa.String()),
        sa.column("person_id", sa.Uuid()),
        sa.column("salt", sa.String()),
    )
    entry = sa.table(
        "audit_entry",
        sa.column("id", sa.Uuid()),
        sa.column("board_id", sa.Uuid()),
        sa.column("sequence", sa.Integer()),
    )
    key = sa.table(
        "audit_person_key",
        sa.column("number", sa.Integer()),
        sa.column("board_id", sa.Uuid()),
        sa.column("person_id", sa.Uuid()),
        sa.column("key", sa.LargeBinary()),
    )
    new = sa.table(
        "audit_payload",
        sa.column("board_id", sa.Uuid()),
        sa.column("sequence", sa.Integer()),
        sa.column("salt", sa.String()),
        sa.column("query", sa.Text()),
        sa.column("attribute_ids", sa.Text()),
        sa.column("people", _people_type()),
        sa.column("erased_at", sa.DateTime(timezone=True)),
        sa.column("v1_details", sa.String()),
        sa.column("v1_subjects", sa.Text()),
    )
    postgres = bind.dialect.name == "postgresql"
    boards = bind.execute(sa.select(old.c.board_id).distinct()).scalars().all()
    for board_id in boards:
        people = (
            bind.execute(
                sa.select(subject.c.person_id)
                .where(subject.c.board_id == board_id, subject.c.person_id.is_not(None))
                .distinct()
            )
            .scalars()
            .all()
        )
        for start in range(0, len(people), BATCH):
            bind.execute(
                key.insert(),
                [
                    {"board_id": board_id, "person_id": p, "key": secrets.token_bytes(16)}
                    for p in people[start : start + BATCH]
                ],
            )
        numbers = dict(
            bind.execute(
                sa.select(key.c.person_id, key.c.number).where(key.c.board_id == board_id)
            ).all()
        )
        items: dict[int, list[str]] = defaultdict(list)
        named: dict[int, list[int]] = defaultdict(list)
        for sequence, commitment, person_id, salt in bind.execute(
            sa.select(subject.c.sequence, subject.c.commitment, subject.c.person_id, subject.c.salt)
            .where(subject.c.board_id == board_id)
            .order_by(subject.c.sequence, subject.c.commitment)
        ):
            person = person_id.hex if person_id is not None else ""
            items[sequence].append(f"{commitment}:{person}:{salt or ''}")
            if person_id is not None:
                named[sequence].append(numbers[person_id])
        rows = []
        for sequence, details, salt, query, attribute_ids, erased_at in bind.execute(
            sa.select(
                entry.c.sequence,
                old.c.details_commitment,
                old.c.salt,
                old.c.query,
                old.c.attribute_ids,
                old.c.erased_at,
            )
            .join(entry, entry.c.id == old.c.entry_id)
            .where(old.c.board_id == board_id)
        ):
            in_entry = sorted(named.get(sequence, ()))
            rows.append(
                {
                    "board_id": board_id,
                    "sequence": sequence,
                    "salt": salt,
                    "query": query,
                    "attribute_ids": attribute_ids,
                    "people": ((in_entry if postgres else _pack(in_entry)) if in_entry else None),
                    "erased_at": erased_at,
                    "v1_details": details,
                    "v1_subjects": " ".join(items[sequence]) if sequence in items else None,
                }
            )
        for start in range(0, len(rows), BATCH):
            bind.execute(new.insert(), rows[start : start + BATCH])


def _pack(numbers: list[int]) -> bytes:
    import struct

    return struct.pack(f"<{len(numbers)}i", *numbers)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_payload")).scalar():
        raise RuntimeError(
            "the ledger holds entries in the compact form, which the old form cannot express; "
            "restore a backup taken before migration 0008 instead of downgrading"
        )
    op.drop_index("ix_audit_payload_people", table_name="audit_payload")
    op.drop_table("audit_payload")
    op.drop_table("audit_person_key")
    with op.batch_alter_table("audit_chain", schema=None) as batch_op:
        batch_op.drop_column("erasures")
    op.create_table(
        "audit_payload",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("details_commitment", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("attribute_ids", sa.Text(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name="fk_audit_payload_board_id_board", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entry.id"],
            name="fk_audit_payload_entry_id_audit_entry",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", name="pk_audit_payload"),
    )
    op.create_table(
        "audit_subject",
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name="fk_audit_subject_board_id_board", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entry.id"],
            name="fk_audit_subject_entry_id_audit_entry",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("board_id", "sequence", "commitment", name="pk_audit_subject"),
    )
    op.create_index(
        "ix_audit_subject_board_id_person_id", "audit_subject", ["board_id", "person_id"]
    )
    op.create_index("ix_audit_subject_entry_id", "audit_subject", ["entry_id"])
