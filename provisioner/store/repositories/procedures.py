"""Queries of the procedures aggregate: SOP versions and choices, requests under an SOP and
what they recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provisioner.domain.audit import as_utc
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import NotFound
from provisioner.store.models.procedures import (
    Procedure,
    ProcedureDocument,
    ProcedureEvidence,
    ProcedureLetter,
    ProcedureStep,
    SopChoice,
    SopVersion,
)


def latest_version(session: Session, key: str) -> SopVersion | None:
    return session.scalars(
        select(SopVersion).where(SopVersion.key == key).order_by(SopVersion.version.desc())
    ).first()


def version(session: Session, key: str, number: int) -> SopVersion | None:
    return session.scalars(
        select(SopVersion).where(SopVersion.key == key, SopVersion.version == number)
    ).first()


def highest_version(session: Session, key: str) -> int:
    return int(
        session.scalar(select(func.max(SopVersion.version)).where(SopVersion.key == key)) or 0
    )


def edited_keys(session: Session) -> set[str]:
    return set(session.scalars(select(SopVersion.key).distinct()))


def choices(session: Session) -> list[SopChoice]:
    return list(session.scalars(select(SopChoice)))


def get_procedure(session: Session, procedure_id: int, *, lock: bool = False) -> Procedure:
    stmt = select(Procedure).where(Procedure.id == procedure_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(
            Text(f"Permohonan SOP {procedure_id} tidak ada", f"No request {procedure_id}")
        )
    return row


def procedure_for_request(session: Session, request_id: int) -> Procedure | None:
    return session.scalars(select(Procedure).where(Procedure.request_id == request_id)).first()


def list_procedures(
    session: Session, *, agency: str | None = None, open_only: bool = False, limit: int = 200
) -> list[Procedure]:
    stmt = select(Procedure).order_by(Procedure.id.desc()).limit(limit)
    if agency is not None:
        stmt = stmt.where(Procedure.agency == agency)
    if open_only:
        stmt = stmt.where(Procedure.ended.is_(None))
    return list(session.scalars(stmt))


def steps(session: Session, procedure_id: int) -> list[ProcedureStep]:
    return list(
        session.scalars(
            select(ProcedureStep)
            .where(ProcedureStep.procedure_id == procedure_id)
            .order_by(ProcedureStep.at, ProcedureStep.id)
        )
    )


def documents(session: Session, procedure_id: int) -> list[ProcedureDocument]:
    return list(
        session.scalars(
            select(ProcedureDocument)
            .where(ProcedureDocument.procedure_id == procedure_id)
            .order_by(ProcedureDocument.id)
        )
    )


def letters(session: Session, procedure_id: int) -> list[ProcedureLetter]:
    return list(
        session.scalars(
            select(ProcedureLetter)
            .where(ProcedureLetter.procedure_id == procedure_id)
            .order_by(ProcedureLetter.id)
        )
    )


def letters_waiting(session: Session) -> list[ProcedureLetter]:
    """Drafts waiting for the Kepala Dinas, oldest first."""
    return list(
        session.scalars(
            select(ProcedureLetter)
            .where(ProcedureLetter.approved_at.is_(None))
            .order_by(ProcedureLetter.prepared_at)
        )
    )


def letter_by_code(session: Session, code: str) -> ProcedureLetter | None:
    return session.scalars(
        select(ProcedureLetter).where(ProcedureLetter.verification_code == code)
    ).first()


def evidence(session: Session, procedure_id: int) -> list[ProcedureEvidence]:
    return list(
        session.scalars(
            select(ProcedureEvidence)
            .where(ProcedureEvidence.procedure_id == procedure_id)
            .order_by(ProcedureEvidence.id)
        )
    )


def under_way(session: Session, *, limit: int = 10_000) -> list[Procedure]:
    """Requests under an SOP that have not ended (a step is waiting), oldest first — the
    periodic reminders look for the ones waiting at a repeating step among these."""
    return list(
        session.scalars(
            select(Procedure)
            .where(Procedure.ended.is_(None), Procedure.current_step.is_not(None))
            .order_by(Procedure.id)
            .limit(limit)
        )
    )


def mark_reminded(session: Session, procedure_id: int, visit_start: datetime) -> bool:
    """Record that the visit starting at `visit_start` was reminded of; False (and nothing
    changed) when it already was. The row is locked, so two sweeps remind once."""
    row = get_procedure(session, procedure_id, lock=True)
    if row.reminded_for is not None and as_utc(row.reminded_for) == as_utc(visit_start):
        return False
    row.reminded_for = as_utc(visit_start)
    return True


def mark_overdue_notified(session: Session, procedure_id: int, visit_start: datetime) -> bool:
    """Record that the overdue visit starting at `visit_start` was announced; False (and
    nothing changed) when it already was. The row is locked, so two sweeps announce once."""
    row = get_procedure(session, procedure_id, lock=True)
    seen = row.overdue_notified_for
    if seen is not None and as_utc(seen) == as_utc(visit_start):
        return False
    row.overdue_notified_for = as_utc(visit_start)
    return True
