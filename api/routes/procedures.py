"""Requests that follow an SOP, and the SOP definitions themselves. Who may act on a step is
the step's (its SOP role); the route only checks that the caller is signed in with a role
that acts on some step. Refusals are 422 naming the field, 409 out of turn, 403 wrong role."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import CurrentActor, ProcedureDocumentsDep, ProceduresDep, SopsDep
from api.gates import requires
from api.procedure_presenters import letter_out, procedure_out, sop_out
from api.schemas.procedures import (
    DocumentOut,
    LinkIn,
    ProcedureIn,
    ProcedureLetterOut,
    ProcedureOut,
    RequestTypeIn,
    SopChoiceIn,
    SopIn,
    SopSummaryOut,
    StepIn,
)
from provisioner.domain.actors import Action
from provisioner.domain.errors import NotFound
from provisioner.domain.sop import Outcome, RequestType
from provisioner.workflow.procedures.service import ProcedureDraft

router = APIRouter(prefix="/api/v1", tags=["procedures"])
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@router.get("/sops", response_model=list[SopSummaryOut])
def list_sops(sops: SopsDep, actor: CurrentActor) -> list[SopSummaryOut]:
    """Every SOP definition (presets and edits) with the request types it is chosen for."""
    return [sop_out(x) for x in sops.summaries()]


@router.get("/sops/{key}", response_model=dict)
def get_sop(key: str, sops: SopsDep, actor: CurrentActor, version: int | None = None) -> dict:
    """A definition as data (the newest version unless `version` is given)."""
    definition = sops.version(key, version) if version else sops.latest(key)
    return definition.model_dump(mode="json")


@router.put("/sops/{key}", response_model=SopSummaryOut, dependencies=[requires(Action.EDIT_SOP)])
def edit_sop(key: str, body: SopIn, sops: SopsDep, actor: CurrentActor) -> SopSummaryOut:
    """Store an edited definition as the next version; requests under way keep theirs."""
    saved = sops.save(body.definition, actor, key=key)
    return next(sop_out(x) for x in sops.summaries() if x.key == saved.key)


@router.put(
    "/sops/choice/{request_type}",
    response_model=SopSummaryOut,
    dependencies=[requires(Action.EDIT_SOP)],
)
def choose_sop(
    request_type: RequestTypeIn, body: SopChoiceIn, sops: SopsDep, actor: CurrentActor
) -> SopSummaryOut:
    """Which SOP new requests of a type follow."""
    sops.choose(RequestType(request_type), body.key, actor)
    return next(sop_out(x) for x in sops.summaries() if x.key == body.key)


@router.post(
    "/procedures",
    response_model=ProcedureOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Action.SUBMIT)],
)
def open_procedure(
    body: ProcedureIn, procedures: ProceduresDep, actor: CurrentActor
) -> ProcedureOut:
    """Open a request under the SOP chosen for its type (or `sop_key`)."""
    draft = ProcedureDraft(
        request_type=RequestType(body.request_type), title=body.title, agency=body.agency,
        request_letter_number=body.request_letter_number,
        request_letter_date=body.request_letter_date, fields=body.fields, sop_key=body.sop_key,
        request_id=body.request_id,
    )  # fmt: skip
    return procedure_out(procedures.open(draft, actor))


@router.get("/procedures", response_model=list[ProcedureOut])
def list_procedures(
    procedures: ProceduresDep, actor: CurrentActor, open_only: bool = False
) -> list[ProcedureOut]:
    """Requests under an SOP, newest first (an OPD sees its own agency's)."""
    return [procedure_out(p) for p in procedures.listing(actor, open_only=open_only)]


@router.get("/procedures/{procedure_id}", response_model=ProcedureOut)
def get_procedure(
    procedure_id: int, procedures: ProceduresDep, actor: CurrentActor
) -> ProcedureOut:
    """One request: its steps, what was recorded, the clocks, documents, letters, evidence."""
    return procedure_out(procedures.get(procedure_id, actor))


@router.post(
    "/procedures/{procedure_id}/steps/{step}",
    response_model=ProcedureOut,
    dependencies=[requires(Action.SOP_STEP)],
)
def record_step(
    procedure_id: int, step: str, body: StepIn, procedures: ProceduresDep, actor: CurrentActor
) -> ProcedureOut:
    """Finish the current step with an outcome; a letter step prepares its draft instead."""
    view = procedures.record(procedure_id, step, Outcome(body.outcome), actor, note=body.note,
                             fields=body.fields)  # fmt: skip
    return procedure_out(view)


@router.post(
    "/procedures/{procedure_id}/request",
    response_model=ProcedureOut,
    dependencies=[requires(Action.SUBMIT)],
)
def link_request(
    procedure_id: int, body: LinkIn, procedures: ProceduresDep, actor: CurrentActor
) -> ProcedureOut:
    """Name the subdomain / hosting request the SOP's hardware steps run on."""
    return procedure_out(procedures.link_request(procedure_id, body.request_id, actor))


@router.post(
    "/procedures/{procedure_id}/documents",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Action.SOP_STEP)],
)
async def attach_document(
    procedure_id: int,
    documents: ProcedureDocumentsDep,
    actor: CurrentActor,
    kind: Annotated[str, Form(max_length=63, description="a document kind of the SOP")],
    file: Annotated[UploadFile, File(description="PDF")],
) -> DocumentOut:
    """Attach a document (PDF, checked by its bytes) to the current step."""
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    doc = documents.attach(procedure_id, kind, file.filename or "", data, actor)
    return DocumentOut(
        id=doc.id, kind=doc.kind, step=doc.step, filename=doc.filename, size=doc.size,
        sha256=doc.sha256, uploaded_by=doc.uploaded_by, uploaded_at=doc.uploaded_at,
        download_url=f"/api/v1/procedures/{procedure_id}/documents/{doc.id}",
    )  # fmt: skip


@router.get("/procedures/{procedure_id}/documents/{document_id}", response_class=FileResponse)
def download_document(
    procedure_id: int, document_id: int, documents: ProcedureDocumentsDep, actor: CurrentActor
) -> FileResponse:
    path, filename = documents.document_file(procedure_id, document_id, actor)
    if not path.is_file():
        raise NotFound("Berkas dokumen tidak ada / The document's file is missing")
    return FileResponse(path, media_type="application/pdf", filename=filename)


@router.get(
    "/sop-letters/waiting",
    response_model=list[ProcedureLetterOut],
    dependencies=[requires(Action.SIGN_LETTER)],
)
def letters_waiting(procedures: ProceduresDep, actor: CurrentActor) -> list[ProcedureLetterOut]:
    """The Kepala Dinas's inbox: drafts waiting for approval, oldest first."""
    return [letter_out(x) for x in procedures.letters_waiting(actor)]


@router.post(
    "/procedures/{procedure_id}/letters/{letter_id}/approve",
    response_model=ProcedureOut,
    dependencies=[requires(Action.SIGN_LETTER)],
)
def approve_letter(
    procedure_id: int, letter_id: int, procedures: ProceduresDep, actor: CurrentActor
) -> ProcedureOut:
    """Approve a draft: it is numbered, rendered, issued, and finishes its step."""
    return procedure_out(procedures.approve_letter(procedure_id, letter_id, actor))


@router.get("/procedures/{procedure_id}/letters/{letter_id}.pdf", response_class=FileResponse)
def download_letter(
    procedure_id: int, letter_id: int, procedures: ProceduresDep, actor: CurrentActor
) -> FileResponse:
    path: Path = procedures.letter_pdf(procedure_id, letter_id, actor)
    if not path.is_file():
        raise NotFound("Berkas surat tidak ada / The letter's file is missing")
    return FileResponse(path, media_type="application/pdf", filename=path.name)


@router.put("/procedures/{procedure_id}/letters/{letter_id}/record",
            response_model=ProcedureLetterOut, dependencies=[requires(Action.RECORD_LETTER)])
async def upload_letter_record(
    procedure_id: int,
    letter_id: int,
    documents: ProcedureDocumentsDep,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="the TTE-signed letter, PDF")],
) -> ProcedureLetterOut:
    """Keep the TTE-signed PDF of an issued letter as its letter of record, once (the
    requesting agency, the approver or an admin); not a PDF or too large: 422 on `file`."""
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    return letter_out(documents.upload_record(procedure_id, letter_id, data, actor))


@router.get("/procedures/{procedure_id}/letters/{letter_id}/record.pdf",
            response_class=FileResponse)
def download_letter_record(
    procedure_id: int, letter_id: int, documents: ProcedureDocumentsDep, actor: CurrentActor
) -> FileResponse:
    path = documents.record_file(procedure_id, letter_id, actor)
    if not path.is_file():
        raise NotFound("Berkas surat ber-TTE tidak ada / The TTE-signed file is missing")
    return FileResponse(path, media_type="application/pdf", filename=path.name)
