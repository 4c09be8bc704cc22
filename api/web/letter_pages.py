"""Letters on the pages: download the issued PDF and the TTE-signed letter of record,
upload the letter of record, issue a correction, and the approver's approval (asked for
confirmation first). Routes call the workflow only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import DecisionsDep, LettersDep
from api.errors import error_page
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, translate
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from provisioner.workflow.letters import MAX_PDF_BYTES

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])
MAX_FORM_TEXT = 300


@router.get("/letters/{letter_id}.pdf")
def download_letter(
    request: Request, letter_id: int, letters: LettersDep, actor: SignedIn
) -> Response:
    """The issued PDF (the one provisioner signed)."""
    try:
        letter = letters.letter(letter_id, actor)
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    return FileResponse(letter.pdf_path, media_type="application/pdf",
                        filename=Path(letter.pdf_path).name)


@router.get("/letters/{letter_id}/record.pdf")
def download_record(
    request: Request, letter_id: int, letters: LettersDep, actor: SignedIn
) -> Response:
    """The TTE-signed letter of record the agency uploaded."""
    try:
        letter = letters.letter(letter_id, actor)
        if not letter.record_pdf_path:
            raise NotFound("Belum ada surat ber-TTE / No TTE-signed letter yet")
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    return FileResponse(letter.record_pdf_path, media_type="application/pdf",
                        filename=Path(letter.record_pdf_path).name)


@router.post("/letters/{letter_id}/record", response_class=HTMLResponse)
async def upload_record(
    request: Request,
    letter_id: int,
    letters: LettersDep,
    actor: SignedIn,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store the TTE-signed PDF as the letter of record (once)."""
    data = await file.read(MAX_PDF_BYTES + 1)
    try:
        letter = letters.upload_record(letter_id, data, actor)
    except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{letter.request_id}#letters",
                                     "record_uploaded"), status_code=303)


@router.post("/letters/{letter_id}/correct", response_class=HTMLResponse)
def correct_letter(
    request: Request,
    letter_id: int,
    letters: LettersDep,
    actor: SignedIn,
    addressee: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
    subject: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
) -> Response:
    """Issue a correction (approver): a new letter naming the one it replaces."""
    changes = {k: v for k, v in (("addressee", addressee), ("subject", subject)) if v.strip()}
    try:
        if not changes:
            raise InvalidInput("addressee", "Isi yang dibetulkan / Give what to correct")
        letter = letters.correct(letter_id, changes, actor)
    except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{letter.request_id}#letters",
                                     "letter_corrected", name=letter.number), status_code=303)


@router.post("/requests/{request_id}/letter/approve")
def approve_letter(
    request: Request,
    request_id: int,
    decisions: DecisionsDep,
    actor: SignedIn,
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The approver records the approval of the issued letter, once asked to confirm."""
    lang = language(request)
    if not is_confirmed(confirmed):
        return confirm_page(
            request, actor, question=translate("confirm.q.approve_letter_plain", lang),
            button=translate("req.approve_letter", lang), fields={},
            back=f"/requests/{request_id}#letters",
        )  # fmt: skip
    try:
        decisions.approve_letter(request_id, actor, client_ip=client_ip(request))
    except (Forbidden, NotFound, Conflict) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{request_id}#letters", "letter_approved"),
                            status_code=303)
