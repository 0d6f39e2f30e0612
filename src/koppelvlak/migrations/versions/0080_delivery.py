"""delivery: deletion notices, push registrations, signing key versions, the outbox and attempts

Revision ID: 0080_delivery
Revises: 0008_ledger_compact
Create Date: 2026-12-02 16:28:58.845457
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0080_delivery"
down_revision: str | None = "0008_ledger_compact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_signing_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_signing_key")),
        sa.UniqueConstraint(
            "provider_id", "version", name=op.f("uq_delivery_signing_key_provider_id_version")
        ),
    )
    with op.batch_alter_table("delivery_signing_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_signing_key_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "deletion_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_deletion_notice_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_notice")),
    )
    with op.batch_alter_table("deletion_notice", schema=None) as batch_op:
        batch_op.create_index("ix_deletion_notice_board_due", ["board_id", "due_at"], unique=False)
        batch_op.create_index(
            "ix_deletion_notice_board_person", ["board_id", "person_id"], unique=False
        )
        batch_op.create_index(
            "ix_deletion_notice_provider_open", ["provider_id", "acknowledged_at"], unique=False
        )

    op.create_table(
        "delivery_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("ledger_entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_delivery_outbox_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_outbox")),
    )
    with op.batch_alter_table("delivery_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_outbox_board_id"), ["board_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_delivery_outbox_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index("ix_delivery_outbox_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_delivery_attempt_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery_outbox.id"],
            name=op.f("fk_delivery_attempt_delivery_id_delivery_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempt_delivery_id"), ["delivery_id"], unique=False
        )

    op.create_table(
        "delivery_push",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("board_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("pushed_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_delivery_push_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
            name=op.f("fk_delivery_push_connection_id_connection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_delivery_push")),
    )
    with op.batch_alter_table("delivery_push", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_push_board_id"), ["board_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_delivery_push_provider_id"), ["provider_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_push_provider_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_push_board_id"))

    op.drop_table("delivery_push")
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempt_delivery_id"))

    op.drop_table("delivery_attempt")
    with op.batch_alter_table("delivery_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_outbox_due")
        batch_op.drop_index(batch_op.f("ix_delivery_outbox_connection_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_outbox_board_id"))

    op.drop_table("delivery_outbox")
    with op.batch_alter_table("deletion_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_notice_provider_open")
        batch_op.drop_index("ix_deletion_notice_board_person")
        batch_op.drop_index("ix_deletion_notice_board_due")

    op.drop_table("deletion_notice")
    with op.batch_alter_table("delivery_signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_signing_key_provider_id"))

    op.drop_table("delivery_signing_key")
