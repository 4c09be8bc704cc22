"""procedures area: the start of the step visit last announced as overdue (the SLA sweep
notifies once per visit).

Revision ID: 0012_sop_overdue
Revises: 0011_hold_production
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_sop_overdue"
down_revision = "0011_hold_production"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(
            sa.Column("overdue_notified_for", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("overdue_notified_for")
