"""Read models of SOP requests → API schemas."""

from __future__ import annotations

from api.schemas.procedures import (
    Bilingual,
    ClockOut,
    DocumentOut,
    EvidenceOut,
    ProcedureLetterOut,
    ProcedureOut,
    RecordOut,
    SopSummaryOut,
    StepOut,
)
from provisioner.domain.bilingual import Text
from provisioner.workflow.procedures.catalog import SopSummary
from provisioner.workflow.procedures.views import ProcedureLetterView, ProcedureView, StepView


def bilingual(text: Text) -> Bilingual:
    return Bilingual(id=text.id, en=text.en)


def step_out(v: StepView) -> StepOut:
    return StepOut(
        key=v.key, name=bilingual(v.name), role=v.role, limit=v.limit,
        output_kind=v.output_kind, output=v.output, outcomes=[o for o, _ in v.outcomes],
        fields=[f for f, _ in v.fields], documents=[d for d, _ in v.documents],
        disposition=v.disposition, status=v.status,
    )  # fmt: skip


def letter_out(v: ProcedureLetterView) -> ProcedureLetterOut:
    url = f"/api/v1/procedures/{v.procedure_id}/letters/{v.id}.pdf" if v.issued else None
    return ProcedureLetterOut(
        id=v.id, procedure_id=v.procedure_id, ticket=v.ticket, step=v.step, kind=v.kind,
        kind_name=bilingual(v.kind_name), prepared_by=v.prepared_by, prepared_at=v.prepared_at,
        approved_by=v.approved_by, approved_at=v.approved_at, number=v.number,
        verification_code=v.verification_code, download_url=url,
        record_sha256=v.record_sha256, record_uploaded_at=v.record_uploaded_at,
        record_uploaded_by=v.record_uploaded_by,
        record_url=f"/api/v1/procedures/{v.procedure_id}/letters/{v.id}/record.pdf"
        if v.record_sha256 else None,
    )  # fmt: skip


def procedure_out(v: ProcedureView) -> ProcedureOut:
    return ProcedureOut(
        id=v.id, ticket=v.ticket, request_type=v.request_type, sop_key=v.sop_key,
        sop_version=v.sop_version, title=v.title, agency=v.agency,
        request_letter_number=v.request_letter_number,
        request_letter_date=v.request_letter_date, fields=v.fields, created_by=v.created_by,
        created_at=v.created_at,
        current_step=v.current_step.key if v.current_step else None, ended=v.ended,
        steps=[step_out(s) for s in v.steps],
        history=[
            RecordOut(step=r.step, outcome=r.outcome, actor=r.actor, role=r.role, at=r.at,
                      note=r.note, fields=r.fields)
            for r in v.history
        ],
        clocks=[
            ClockOut(step=c.step, limit_minutes=c.limit_minutes, used_minutes=c.used_minutes,
                     started_at=c.started_at, ended_at=c.ended_at, due_at=c.due_at,
                     paused=c.paused, overdue=c.overdue)
            for c in v.clocks
        ],
        documents=[
            DocumentOut(id=d.id, kind=d.kind, step=d.step, filename=d.filename, size=d.size,
                        sha256=d.sha256, uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at,
                        download_url=f"/api/v1/procedures/{v.id}/documents/{d.id}")
            for d in v.documents
        ],
        letters=[letter_out(lt) for lt in v.letters],
        evidence=[EvidenceOut(step=e.step, kind=e.kind, passed=e.passed, data=e.data, at=e.at)
                  for e in v.evidence],
        request_id=v.request_id, request_state=v.request_state,
    )  # fmt: skip


def sop_out(v: SopSummary) -> SopSummaryOut:
    return SopSummaryOut(
        key=v.key, version=v.version, request_type=v.request_type.value, name=bilingual(v.name),
        source=v.source, steps=v.steps, chosen_for=[t.value for t in v.chosen_for],
        edited=v.edited,
    )  # fmt: skip
