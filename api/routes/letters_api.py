"""Letters for scripts: list a request's letters, upload the agency's TTE-signed PDF as the
letter of record, issue a correction — the same checks as the web forms (PDF by its bytes,
size-limited; a correction is the approver's), refusals as 422 naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import CurrentActor, LettersDep
from api.gates import requires
from api.links import leads_to, letter_links
from api.presenters import letter_out
from api.schemas.letters import CorrectionIn, LetterDetailOut
from provisioner.domain.actors import Action
from provisioner.domain.errors import NotFound
from provisioner.workflow.letters import MAX_PDF_BYTES

router = APIRouter(prefix="/api/v1", tags=["letters"])


@router.get("/requests/{request_id}/letters", response_model=list[LetterDetailOut],
            responses=leads_to(200, "Oldest first", letter_links("$response.body#/0/id")))
def list_letters(
    request_id: int, letters: LettersDep, actor: CurrentActor
) -> list[LetterDetailOut]:
    """Every letter of a request, oldest first (a correction names the one it replaces)."""
    return [letter_out(x) for x in letters.letters(request_id, actor)]


@router.get("/letters/{letter_id}.pdf", response_class=FileResponse)
def download_letter(letter_id: int, letters: LettersDep, actor: CurrentActor) -> FileResponse:
    """The PDF provisioner issued and signed."""
    letter = letters.letter(letter_id, actor)
    if not Path(letter.pdf_path).is_file():
        raise NotFound("Berkas surat tidak ada / The letter's file is missing")
    return FileResponse(
        letter.pdf_path, media_type="application/pdf", filename=Path(letter.pdf_path).name
    )


@router.get("/letters/{letter_id}", response_model=LetterDetailOut)
def get_letter(letter_id: int, letters: LettersDep, actor: CurrentActor) -> LetterDetailOut:
    """One letter, with its letter of record if the agency uploaded it."""
    return letter_out(letters.letter(letter_id, actor))


@router.get("/letters/{letter_id}/record.pdf", response_class=FileResponse)
def download_record(letter_id: int, letters: LettersDep, actor: CurrentActor) -> FileResponse:
    """The TTE-signed letter of record the agency uploaded."""
    letter = letters.letter(letter_id, actor)
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
    letters: LettersDep,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="the TTE-signed letter, PDF")],
) -> LetterDetailOut:
    """Store the TTE-signed PDF as the letter of record, once (the requesting agency, the
    approver or an admin). Not a PDF or larger than the limit: 422 on `file`."""
    data = await file.read(MAX_PDF_BYTES + 1)  # one byte past the limit is enough to refuse
    return letter_out(letters.upload_record(letter_id, data, actor))


@router.post(
    "/letters/{letter_id}/correct",
    response_model=LetterDetailOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Action.CORRECT_LETTER)],
    responses=leads_to(201, "The correction letter", letter_links("$response.body#/id")),
)
def correct_letter(
    letter_id: int, body: CorrectionIn, letters: LettersDep, actor: CurrentActor
) -> LetterDetailOut:
    """Issue a correction (approver or admin): a new letter with a new number that names
    the one it replaces; the issued letter itself never changes."""
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    return letter_out(letters.correct(letter_id, changes, actor))
