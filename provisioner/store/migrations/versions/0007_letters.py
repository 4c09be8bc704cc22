"""letters: provisioner's signature, the rendered content, corrections, the TTE letter of record

Revision ID: 0007_letters
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_letters"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key with ALTER TABLE, so it rebuilds the table.
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("record_pdf_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("record_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("record_uploaded_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("record_uploaded_by", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            "fk_letters_replaces_id_letters", "letters", ["replaces_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint("fk_letters_replaces_id_letters", type_="foreignkey")
        for column in (
            "record_uploaded_by",
            "record_uploaded_at",
            "record_sha256",
            "record_pdf_path",
            "replaces_id",
            "content",
            "signature",
        ):
            batch_op.drop_column(column)
