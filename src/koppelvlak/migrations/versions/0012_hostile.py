"""used client assertions (private_key_jwt replay protection)

Revision ID: 0012_hostile
Revises: 0007_kept_release
Create Date: 2026-12-02 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_hostile"
down_revision: str | None = "0007_kept_release"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_client_assertion",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["client_credential.id"],
            name=op.f("fk_used_client_assertion_credential_id_client_credential"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "jti", name=op.f("pk_used_client_assertion")),
    )
    with op.batch_alter_table("used_client_assertion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_client_assertion_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("used_client_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_client_assertion_expires_at"))
    op.drop_table("used_client_assertion")
