"""DNS registry: records adopted from the zone as it was found (brownfield) — who owns each
(an agency, or `infrastructure`, never to be touched), where the row came from, who adopted
it and when; liveness checks of adopted names, which have no request.

Revision ID: 0014_dns_adoption
Revises: 0013_sop_letter_record
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_dns_adoption"
down_revision = "0013_sop_letter_record"
branch_labels = None
depends_on = None

COLUMNS = (
    ("owner", sa.String(length=200)),
    ("adopted_by", sa.String(length=64)),
    ("adopted_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("dns_records") as batch:
        batch.add_column(
            sa.Column(
                "origin",
                sa.String(length=16),
                nullable=False,
                server_default="provisioner",
            )
        )
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("liveness_checks") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM liveness_checks WHERE request_id IS NULL")
    with op.batch_alter_table("liveness_checks") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("dns_records") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
        batch.drop_column("origin")
