"""hosting area: existing sites — virtual hosts found on a web server and registered as an
agency's site (monitored at once), with what a migration under management applied and the
hand-made file's bytes for the way back.

Revision ID: 0015_existing_sites
Revises: 0014_dns_adoption
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_existing_sites"
down_revision = "0014_dns_adoption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "existing_sites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fqdn", sa.String(length=253), nullable=False),
        sa.Column("zone", sa.String(length=253), nullable=False),
        sa.Column("label", sa.String(length=63), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("vhost_file", sa.String(length=500), nullable=False),
        sa.Column("config_file", sa.String(length=500), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_root", sa.String(length=500), nullable=True),
        sa.Column("php", sa.Boolean(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("migration", sa.JSON(), nullable=True),
        sa.Column("migration_checksum", sa.String(length=64), nullable=True),
        sa.Column("original_b64", sa.Text(), nullable=True),
        sa.Column("release", sa.String(length=500), nullable=True),
        sa.Column("migrated_by", sa.String(length=64), nullable=True),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_existing_sites_fqdn", "existing_sites", ["fqdn"])
    op.create_index(
        "uq_existing_sites_active",
        "existing_sites",
        ["fqdn"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_table("existing_sites")
