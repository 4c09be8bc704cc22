"""Requests that follow an SOP definition: the definitions and their versions, the choice of
SOP per request type, and each request's recorded steps, documents, letters and evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.models.base import Base, utcnow


class SopVersion(Base):
    """An admin's edit of an SOP: the whole definition, never changed once stored."""

    __tablename__ = "sop_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int] = mapped_column(Integer)
    request_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("key", "version"),)


class SopChoice(Base):
    """The SOP a Diskominfo uses for one request type."""

    __tablename__ = "sop_choices"
    request_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(63))
    chosen_by: Mapped[str] = mapped_column(String(64))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Procedure(Base):
    """One request under an SOP; `definition` is the version it started with, kept whole so
    that a later edit never changes a request under way."""

    __tablename__ = "procedures"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    request_type: Mapped[str] = mapped_column(String(40), index=True)
    sop_key: Mapped[str] = mapped_column(String(63))
    sop_version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    title: Mapped[str] = mapped_column(String(300))
    agency: Mapped[str] = mapped_column(String(200), index=True)
    request_letter_number: Mapped[str] = mapped_column(String(100))
    request_letter_date: Mapped[date | None] = mapped_column(Date)
    fields: Mapped[dict[str, Any]]
    current_step: Mapped[str | None] = mapped_column(String(63))
    ended: Mapped[str | None] = mapped_column(String(20))
    # The start of the repeating step's visit (an evaluation due again) last reminded of, so
    # each visit is announced once.
    reminded_for: Mapped[datetime | None]
    # The start of the current step's visit last announced as overdue (past its limit in
    # working time), so each visit is announced once.
    overdue_notified_for: Mapped[datetime | None]
    # The subdomain / hosting request a hardware step opened (the existing jobs run on it).
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcedureStep(Base):
    """A finished visit of a step: who, when, the outcome, the note and the fields given."""

    __tablename__ = "procedure_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    step: Mapped[str] = mapped_column(String(63))
    outcome: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]]


class ProcedureDocument(Base):
    """An attachment (KAK, design, test report, minutes …) kept outside any web root."""

    __tablename__ = "procedure_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    kind: Mapped[str] = mapped_column(String(63))
    step: Mapped[str | None] = mapped_column(String(63))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcedureLetter(Base):
    """A letter of a kind: prepared as a draft, approved by the Kepala Dinas, then issued
    with its number (per kind and year) and PDF."""

    __tablename__ = "procedure_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    step: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(20))
    facts: Mapped[dict[str, Any]]
    finishes_step: Mapped[bool] = mapped_column(default=False)  # the step's own output
    prepared_by: Mapped[str] = mapped_column(String(64))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    number: Mapped[str | None] = mapped_column(String(200), unique=True)
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    verification_code: Mapped[str | None] = mapped_column(String(64), index=True)
    content: Mapped[dict[str, Any] | None]
    signature: Mapped[str | None] = mapped_column(String(64))  # HMAC over number + sha256
    record_pdf_path: Mapped[str | None] = mapped_column(String(500))  # TTE-signed upload
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    record_uploaded_at: Mapped[datetime | None]
    record_uploaded_by: Mapped[str | None] = mapped_column(String(64))


class ProcedureEvidence(Base):
    """What a hardware step of the SOP produced: the job it started, a load test's figures,
    a header/TLS scan."""

    __tablename__ = "procedure_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    step: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool | None]
    data: Mapped[dict[str, Any]]
    at: Mapped[datetime] = mapped_column(default=utcnow)
