"""Tables. API schemas live in api/schemas.py; these never leave the store/workflow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out. SQLite keeps no offset, so without this a value
    written aware comes back naive and the API would print it without a time zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str | None] = mapped_column(String(200))
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- people (0006): sign-in to the BSSN 4/2021 baseline ---
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    last_login_at: Mapped[datetime | None]


class Request(Base):
    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(63))
    zone: Mapped[str] = mapped_column(String(253))
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    letter_number: Mapped[str] = mapped_column(String(100))
    letter_date: Mapped[date] = mapped_column(Date)
    hosting: Mapped[bool] = mapped_column(Boolean)
    repo_url: Mapped[str | None] = mapped_column(String(500))
    branch: Mapped[str | None] = mapped_column(String(200))
    target_address: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[dict[str, Any] | None]
    plan_checksum: Mapped[str | None] = mapped_column(String(64))
    commit_sha: Mapped[str | None] = mapped_column(String(40))
    db_name: Mapped[str | None] = mapped_column(String(64))
    db_user: Mapped[str | None] = mapped_column(String(32))
    db_password_enc: Mapped[str | None] = mapped_column(Text)
    failure_step: Mapped[str | None] = mapped_column(String(40))
    failure_server: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    live_at: Mapped[datetime | None]
    # --- people (0006): request types and the fields the SOPs ask for ---
    request_type: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    subject_request_id: Mapped[int | None] = mapped_column(Integer)  # the site a change is about
    contact_nip: Mapped[str | None] = mapped_column(String(18))
    contact_position: Mapped[str | None] = mapped_column(String(200))
    contact_rank: Mapped[str | None] = mapped_column(String(100))
    site_kind: Mapped[str | None] = mapped_column(String(20))
    stack: Mapped[str | None] = mapped_column(String(20))
    db_wanted: Mapped[bool | None] = mapped_column(Boolean)
    letter_scan_path: Mapped[str | None] = mapped_column(String(500))
    letter_scan_sha256: Mapped[str | None] = mapped_column(String(64))
    revision_note: Mapped[str | None] = mapped_column(Text)
    letter_approved_by: Mapped[str | None] = mapped_column(String(64))
    letter_approved_at: Mapped[datetime | None]
    evaluation_reminded_at: Mapped[datetime | None]

    jobs: Mapped[list[Job]] = relationship(back_populates="request", order_by="Job.id")


class NameClaim(Base):
    """The registry of names taken or requested. The partial unique index makes two
    racing requests for one name end with exactly one holder."""

    __tablename__ = "name_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(253))
    label: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        Index(
            "uq_name_claims_active",
            "zone",
            "label",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)
    lock_key: Mapped[str] = mapped_column(String(300))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    request: Mapped[Request] = relationship(back_populates="jobs")
    steps: Mapped[list[JobStep]] = relationship(
        back_populates="job", order_by="JobStep.position", cascade="all, delete-orphan"
    )


class JobStep(Base):
    """The journal: one row per step with its inputs, outputs, log and outcome."""

    __tablename__ = "job_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    server: Mapped[str | None] = mapped_column(String(100))
    outputs: Mapped[dict[str, Any] | None]
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_dir: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    job: Mapped[Job] = relationship(back_populates="steps")
    __table_args__ = (UniqueConstraint("job_id", "position"),)


class Lock(Base):
    """Named locks (site, DNS name, database): the primary key is the lock."""

    __tablename__ = "locks"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Gap-free sequences (letter numbers per year, tickets per day)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Letter(Base):
    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(64), index=True)
    evidence: Mapped[dict[str, Any] | None]
    # --- web: letters (migration 0007_letters) ---
    signature: Mapped[str | None] = mapped_column(String(64))  # HMAC over number + sha256
    content: Mapped[dict[str, Any] | None]  # what was rendered, to recompute and correct
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    record_pdf_path: Mapped[str | None] = mapped_column(String(500))  # TTE-signed upload
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    record_uploaded_at: Mapped[datetime | None]
    record_uploaded_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("year", "serial"),)


class Event(Base):
    """Who did what, when and from where (SOP: 'log activity'): the append-only audit log.
    Each entry carries the previous entry's hash (people, 0006), see domain/audit.py."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    detail: Mapped[dict[str, Any] | None]
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
