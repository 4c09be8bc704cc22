"""jobs area: liveness history of live subdomains (periodic checks).

Revision ID: 0009_liveness
Revises: 0008_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_liveness"
down_revision = "0008_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "liveness_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("fqdn", sa.String(length=253), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_liveness_checks_request_id", "liveness_checks", ["request_id"])
    op.create_index("ix_liveness_checks_fqdn", "liveness_checks", ["fqdn"])
    op.create_index("ix_liveness_checks_checked_at", "liveness_checks", ["checked_at"])


def downgrade() -> None:
    op.drop_table("liveness_checks")
