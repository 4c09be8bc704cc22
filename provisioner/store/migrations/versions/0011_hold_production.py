"""requests area: an SOP may hold production until its acceptance (dev-only provisioning,
then a release job).

Revision ID: 0011_hold_production
Revises: 0010_procedures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_hold_production"
down_revision = "0010_procedures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(
            sa.Column(
                "hold_production", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("hold_production")
