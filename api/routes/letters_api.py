"""Letters for scripts: list a request's letters, upload the agency's TTE-signed PDF as the
letter of record, issue a correction — the same checks as the web forms (PDF by its bytes,
size-limited; a correction is the approver's), refusals as 422 naming the field."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentActor, ServicesDep, letter_service
from api.gates import requires
from api.links import leads_to, letter_links
from provisioner.domain.actors import Action
from provisioner.domain.errors import NotFound
from provisioner.workflow.letters import MAX_PDF_BYTES
from provisioner.workflow.read_models import LetterView

router = APIRouter(prefix="/api/v1", tags=["letters"])


class LetterDetailOut(BaseModel):
    id: int
    request_id: int
    number: str
    issued_at: datetime
    sha256: str
    verification_code: str
    replaces_id: int | None
    download_url: str
    record_sha256: str | None
    record_uploaded_at: datetime | None
    record_uploaded_by: str | None
    record_url: str | None


class CorrectionIn(BaseModel):
    """What the correction changes; at least one field. The site's facts (name, server,
    commit, checks) are what the job proved and cannot be corrected."""

    model_config = ConfigDict(extra="forbid", strict=True)
    addressee: str | None = Field(None, max_length=300)
    addressee_place: str | None = Field(None, max_length=300)
    subject: str | None = Field(None, max_length=300)
    nature: str | None = Field(None, max_length=300)
    attachments: str | None = Field(None, max_length=300)


def letter_out(letter: LetterView) -> LetterDetailOut:
    base = f"/api/v1/letters/{letter.id}"
    return LetterDetailOut(
        id=letter.id,
        request_id=letter.request_id,
        number=letter.number,
        issued_at=letter.issued_at,
        sha256=letter.sha256,
        verification_code=letter.verification_code,
        replaces_id=letter.replaces_id,
        download_url=f"{base}.pdf",
        record_sha256=letter.record_sha256,
        record_uploaded_at=letter.record_uploaded_at,
        record_uploaded_by=letter.record_uploaded_by,
        record_url=f"{base}/record.pdf" if letter.record_pdf_path else None,
    )


@router.get("/requests/{request_id}/letters", response_model=list[LetterDetailOut],
            responses=leads_to(200, "Oldest first", letter_links("$response.body#/0/id")))
def list_letters(
    request_id: int, services: ServicesDep, actor: CurrentActor
) -> list[LetterDetailOut]:
    """Every letter of a request, oldest first (a correction names the one it replaces)."""
    return [letter_out(x) for x in letter_service(services).letters(request_id, actor)]


@router.get("/letters/{letter_id}.pdf", response_class=FileResponse)
def download_letter(letter_id: int, services: ServicesDep, actor: CurrentActor) -> FileResponse:
    """The PDF provisioner issued and signed."""
    letter = letter_service(services).letter(letter_id, actor)
    if not Path(letter.pdf_path).is_file():
        raise NotFound("Berkas surat tidak ada / The letter's file is missing")
    return FileResponse(
        letter.pdf_path, media_type="application/pdf", filename=Path(letter.pdf_path).name
    )


@router.get("/letters/{letter_id}", response_model=LetterDetailOut)
def get_letter(letter_id: int, services: ServicesDep, actor: CurrentActor) -> LetterDetailOut:
    """One letter, with its letter of record if the agency uploaded it."""
    return letter_out(letter_service(services).letter(letter_id, actor))


@router.get("/letters/{letter_id}/record.pdf", response_class=FileResponse)
def download_record(letter_id: int, services: ServicesDep, actor: CurrentActor) -> FileResponse:
    """The TTE-signed letter of record the agency uploaded."""
    letter = letter_service(services).letter(letter_id, actor)
    if not letter.record_pdf_path or not Path(letter.record_pdf_path).is_file():
        raise NotFound("Belum ada surat ber-TTE / No TTE-signed letter yet")
    return FileResponse(
        letter.record_pdf_path,
        media_type="application/pdf",
        filename=Path(letter.record_pdf_path).name,
    )


@router.put("/letters/{letter_id}/record", response_model=LetterDetailOut,
            dependencies=[requires(Action.RECORD_LETTER)])
async def upload_record(
    letter_id: int,
    services: ServicesDep,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="the TTE-signed letter, PDF")],
) -> LetterDetailOut:
    """Store the TTE-signed PDF as the letter of record, once (the requesting agency, the
    approver or an admin). Not a PDF or larger than the limit: 422 on `file`."""
    data = await file.read(MAX_PDF_BYTES + 1)  # one byte past the limit is enough to refuse
    letters = letter_service(services)
    return letter_out(letters.upload_record(letter_id, data, actor))


@router.post(
    "/letters/{letter_id}/correct",
    response_model=LetterDetailOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Action.CORRECT_LETTER)],
    responses=leads_to(201, "The correction letter", letter_links("$response.body#/id")),
)
def correct_letter(
    letter_id: int, body: CorrectionIn, services: ServicesDep, actor: CurrentActor
) -> LetterDetailOut:
    """Issue a correction (approver or admin): a new letter with a new number that names
    the one it replaces; the issued letter itself never changes."""
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    letters = letter_service(services)
    return letter_out(letters.correct(letter_id, changes, actor))
