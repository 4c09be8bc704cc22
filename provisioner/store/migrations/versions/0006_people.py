"""people: sign-in, sessions, request types and SOP fields, hash-chained audit log

Revision ID: 0006_people
Revises: 0001
"""

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from provisioner.domain.audit import GENESIS, AuditEntry

revision = "0006_people"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("email", sa.String(200), nullable=True))
        b.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
        b.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("requests") as b:
        b.add_column(sa.Column("request_type", sa.String(20), nullable=False, server_default="new"))
        b.add_column(sa.Column("subject_request_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("contact_nip", sa.String(18), nullable=True))
        b.add_column(sa.Column("contact_position", sa.String(200), nullable=True))
        b.add_column(sa.Column("contact_rank", sa.String(100), nullable=True))
        b.add_column(sa.Column("site_kind", sa.String(20), nullable=True))
        b.add_column(sa.Column("stack", sa.String(20), nullable=True))
        b.add_column(sa.Column("db_wanted", sa.Boolean(), nullable=True))
        b.add_column(sa.Column("letter_scan_path", sa.String(500), nullable=True))
        b.add_column(sa.Column("letter_scan_sha256", sa.String(64), nullable=True))
        b.add_column(sa.Column("revision_note", sa.Text(), nullable=True))
        b.add_column(sa.Column("letter_approved_by", sa.String(64), nullable=True))
        b.add_column(sa.Column("letter_approved_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("evaluation_reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("events") as b:
        b.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        b.add_column(sa.Column("client_ip", sa.String(64), nullable=True))
        b.add_column(sa.Column("before", sa.JSON(), nullable=True))
        b.add_column(sa.Column("after", sa.JSON(), nullable=True))
        b.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        b.add_column(sa.Column("hash", sa.String(64), nullable=True))
        b.create_unique_constraint("uq_events_seq", ["seq"])
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
    )
    op.create_table(
        "agency_sla",
        sa.Column("agency", sa.String(200), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
    )
    _chain_existing_events()


def _chain_existing_events() -> None:
    """Entries written before the chain existed join it in id order, so verify covers them."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, at, actor, action, request_id, job_id, detail FROM events ORDER BY id")
    ).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        detail = json.loads(row.detail) if isinstance(row.detail, str) else row.detail
        # Raw SQL on SQLite gives the stored text; PostgreSQL gives a datetime.
        at = datetime.fromisoformat(row.at) if isinstance(row.at, str) else row.at
        entry = AuditEntry(
            seq,
            at,
            row.actor,
            row.action,
            row.request_id,
            row.job_id,
            None,
            detail,
            None,
            None,
            prev,
        )
        digest = entry.digest()
        bind.execute(
            sa.text("UPDATE events SET seq=:seq, prev_hash=:prev, hash=:h WHERE id=:id"),
            {"seq": seq, "prev": prev, "h": digest, "id": row.id},
        )
        prev = digest
    if rows:
        counters = sa.table("counters", sa.column("name"), sa.column("value"))
        bind.execute(sa.delete(counters).where(counters.c.name == "audit:seq"))
        bind.execute(sa.insert(counters).values(name="audit:seq", value=len(rows)))


def downgrade() -> None:
    op.drop_table("agency_sla")
    op.drop_table("calendar_days")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("events") as b:
        b.drop_constraint("uq_events_seq", type_="unique")
        for col in ("hash", "prev_hash", "after", "before", "client_ip", "seq"):
            b.drop_column(col)
    with op.batch_alter_table("requests") as b:
        for col in (
            "evaluation_reminded_at",
            "letter_approved_at",
            "letter_approved_by",
            "revision_note",
            "letter_scan_sha256",
            "letter_scan_path",
            "db_wanted",
            "stack",
            "site_kind",
            "contact_rank",
            "contact_position",
            "contact_nip",
            "subject_request_id",
            "request_type",
        ):
            b.drop_column(col)
    with op.batch_alter_table("users") as b:
        for col in (
            "last_login_at",
            "disabled",
            "locked_until",
            "failed_logins",
            "password_hash",
            "email",
        ):
            b.drop_column(col)
