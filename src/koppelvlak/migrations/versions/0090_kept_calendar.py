"""kept_release.calendar_at: the moment up to which a connection's whole release followed the
calendar, so the scheduled refresh resolves only the people whose dates cross a boundary since.

Revision ID: 0090_kept_calendar
Revises: 0085_consent_requests
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0090_kept_calendar"
down_revision: str | None = "0085_consent_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kept_release", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kept_release", schema=None) as batch_op:
        batch_op.drop_column("calendar_at")
