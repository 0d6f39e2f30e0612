"""school.sync_fingerprint: what the last sync of a school applied, so an unchanged one is skipped.

Revision ID: 0070_school_fingerprint
Revises: 0012_hostile
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070_school_fingerprint"
down_revision: str | None = "0012_hostile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("sync_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.drop_column("sync_fingerprint")
