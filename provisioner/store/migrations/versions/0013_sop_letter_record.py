"""procedures area: SOP letters signed like subdomain letters (HMAC over number + PDF
hash) and their TTE-signed letter of record.

Revision ID: 0013_sop_letter_record
Revises: 0012_sop_overdue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_sop_letter_record"
down_revision = "0012_sop_overdue"
branch_labels = None
depends_on = None

COLUMNS = (
    ("signature", sa.String(length=64)),
    ("record_pdf_path", sa.String(length=500)),
    ("record_sha256", sa.String(length=64)),
    ("record_uploaded_at", sa.DateTime(timezone=True)),
    ("record_uploaded_by", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("procedure_letters") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedure_letters") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
