"""procedures area: requests that follow an SOP definition (versions, choices, recorded
steps, documents, letters of every kind, evidence).

Revision ID: 0010_procedures
Revises: 0009_liveness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_procedures"
down_revision = "0009_liveness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sop_choices",
        sa.Column("request_type", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("chosen_by", sa.String(length=64), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_type"),
    )
    op.create_table(
        "sop_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_type", sa.String(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version"),
    )
    with op.batch_alter_table("sop_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sop_versions_key"), ["key"], unique=False)

    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("request_type", sa.String(length=40), nullable=False),
        sa.Column("sop_key", sa.String(length=63), nullable=False),
        sa.Column("sop_version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("request_letter_number", sa.String(length=100), nullable=False),
        sa.Column("request_letter_date", sa.Date(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("current_step", sa.String(length=63), nullable=True),
        sa.Column("ended", sa.String(length=20), nullable=True),
        sa.Column("reminded_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket"),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedures_agency"), ["agency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_procedures_request_type"), ["request_type"], unique=False
        )

    op.create_table(
        "procedure_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=63), nullable=False),
        sa.Column("step", sa.String(length=63), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("procedure_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_documents_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "procedure_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("procedure_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_evidence_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "procedure_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("finishes_step", sa.Boolean(), nullable=False),
        sa.Column("prepared_by", sa.String(length=64), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("number", sa.String(length=200), nullable=True),
        sa.Column("pdf_path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("verification_code", sa.String(length=64), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("procedure_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_letters_procedure_id"), ["procedure_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_procedure_letters_verification_code"),
            ["verification_code"],
            unique=False,
        )

    op.create_table(
        "procedure_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=63), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("procedure_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_steps_procedure_id"), ["procedure_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("procedure_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_steps_procedure_id"))

    op.drop_table("procedure_steps")
    with op.batch_alter_table("procedure_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_letters_verification_code"))
        batch_op.drop_index(batch_op.f("ix_procedure_letters_procedure_id"))

    op.drop_table("procedure_letters")
    with op.batch_alter_table("procedure_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_evidence_procedure_id"))

    op.drop_table("procedure_evidence")
    with op.batch_alter_table("procedure_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_documents_procedure_id"))

    op.drop_table("procedure_documents")
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedures_request_type"))
        batch_op.drop_index(batch_op.f("ix_procedures_agency"))

    op.drop_table("procedures")
    with op.batch_alter_table("sop_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sop_versions_key"))

    op.drop_table("sop_versions")
    op.drop_table("sop_choices")
