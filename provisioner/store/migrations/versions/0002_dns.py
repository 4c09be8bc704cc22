"""dns ownership registry

Revision ID: 0002_dns
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_dns"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dns_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("rtype", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dns_records", schema=None) as batch_op:
        batch_op.create_index("ix_dns_records_zone", ["zone"], unique=False)
        batch_op.create_index("ix_dns_records_request_id", ["request_id"], unique=False)
        batch_op.create_index(
            "uq_dns_records_active",
            ["name", "rtype"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )


def downgrade() -> None:
    op.drop_table("dns_records")
