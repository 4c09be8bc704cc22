"""Pages around one request: my requests, a new request (with a live name check), the
status of every step, the job's output live, and the letters (download, TTE upload,
correction). Routes call the workflow only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as FormUpload  # what request.form() returns

from api.deps import (
    DecisionsDep,
    DocumentsDep,
    IntakeDep,
    LettersDep,
    QueriesDep,
    RevisionsDep,
    SettingsDep,
    UndoDep,
)
from api.errors import error_page
from api.presenters import job_for, request_for
from api.session import People
from api.web.forms import FIELDS, REVISION_FIELDS, read_request_form, read_revision_form
from api.web.render import render, state_label
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServerUnreachable,
)
from provisioner.domain.requests import REQUEST_TYPES, SITE_KINDS, RequestDraft
from provisioner.jobs.control import JobUndoService, StandingReport
from provisioner.workflow.letters import MAX_PDF_BYTES, LetterService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.requests.queries import RequestQueries

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

LOG_TAIL = 20_000


def staff_standing(undo: JobUndoService, actor: Actor, job_id: int) -> StandingReport | None:
    """What a job left standing on the servers, for staff (an OPD's pages name no servers
    or databases), else None."""
    if actor.role is Role.OPD:
        return None
    return undo.standing(job_id, actor)


@dataclass(frozen=True)
class RequestPage:
    """What a request's page reads: the request, its letters, its SLA clocks and — for
    staff — what its job left standing."""

    queries: RequestQueries
    letters: LetterService
    sla: SlaService
    undo: JobUndoService
    settings: Settings


def _request_page(
    queries: QueriesDep, letters: LettersDep, people: People, undo: UndoDep, settings: SettingsDep
) -> RequestPage:
    return RequestPage(queries, letters, people.sla, undo, settings)


RequestPageDep = Annotated[RequestPage, Depends(_request_page)]


# --- my requests --------------------------------------------------------------------


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, queries: QueriesDep, actor: SignedIn) -> HTMLResponse:
    """An OPD's own requests (other roles: every request), newest first."""
    rows = queries.list(actor)
    return render(
        request,
        "requests.html",
        {"rows": rows, "state_label": state_label},
        actor=actor,
        csrf=page_csrf(request, actor),
    )


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_form(request: Request, settings: SettingsDep, actor: SignedIn) -> HTMLResponse:
    """The new-request form; the name is checked as it is typed (static/js/availability.js)."""
    values = {"agency": actor.agency or "", "branch": "main", "hosting": True,
              "letter_date": date.today().isoformat()}
    return _form(request, settings, actor, values, {})


def _form(
    request: Request,
    settings: Settings,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "request_new.html",
        {
            "v": values,
            "errors": errors,
            "request_types": REQUEST_TYPES,
            "site_kinds": SITE_KINDS,
            "zone": settings.zone,
            "optional": FIELDS,
            "max_mb": MAX_PDF_BYTES // 1024 // 1024,
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


@router.post("/requests/new", response_class=HTMLResponse)
async def submit_request(
    request: Request,
    intake: IntakeDep,
    documents: DocumentsDep,
    settings: SettingsDep,
    actor: SignedIn,
) -> Response:
    """Submit the form, read by the JSON body's model (api.web.forms). Every refusal comes
    back on the form, next to its field."""
    form = await request.form()
    read = read_request_form(form, actor)
    values, errors = read.values, dict(read.errors)
    scan = form.get("letter_scan")
    scan_bytes = b""
    if isinstance(scan, FormUpload) and scan.filename:
        scan_bytes = await scan.read(MAX_PDF_BYTES + 1)
    if read.request is not None:
        try:
            draft = RequestDraft(**read.request.model_dump())
            req = intake.submit(draft, actor, client_ip=client_ip(request))
            if scan_bytes:
                try:
                    documents.attach(req.id, scan_bytes, actor)
                except InvalidInput as exc:
                    # The request exists; tell the OPD on its page that the scan was refused.
                    return RedirectResponse(
                        f"/requests/{req.id}?scan_error={quote(exc.message)}", status_code=303
                    )
            return RedirectResponse(f"/requests/{req.id}?submitted=1", status_code=303)
        except InvalidInput as exc:
            errors.update(exc.problems)
        except ServerUnreachable as exc:  # the code server could not be asked
            errors["repo"] = exc.message
        except (Forbidden, Conflict) as exc:
            errors["label"] = exc.message
    return _form(request, settings, actor, values, errors, status_code=422)


# --- one request ----------------------------------------------------------------------


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_detail(
    request: Request,
    request_id: int,
    page: RequestPageDep,
    actor: SignedIn,
    submitted: int = 0,
    returned: int = 0,
    resubmitted: int = 0,
    scan_error: str | None = None,
) -> HTMLResponse:
    """The request, the status of every step of every job, its letters."""
    flash = (
        "req.submitted" if submitted else "req.returned" if returned
        else "req.resubmitted" if resubmitted else None
    )  # fmt: skip
    return _detail_page(request, request_id, page, actor, flash=flash, scan_error=scan_error)


def _detail_page(
    request: Request,
    request_id: int,
    page: RequestPage,
    actor: Actor,
    *,
    flash: str | None = None,
    scan_error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        req = request_for(actor, page.queries.get(request_id, actor))
        letters = page.letters.letters(request_id, actor)
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    clocks = page.sla.clocks(request_id, actor)
    running = next(
        (j for j in reversed(req.jobs) if j.state in ("queued", "running")), None
    )
    latest = req.jobs[-1] if req.jobs else None
    live_job = running or latest
    standing = staff_standing(page.undo, actor, live_job.id) if live_job is not None else None
    revision = {f: getattr(req, f) for f in REVISION_FIELDS}
    revision["letter_date"] = req.letter_date.isoformat()
    revision.update(values or {})
    return render(
        request,
        "request_detail.html",
        {
            "req": req,
            "letters": letters,
            "clocks": clocks,
            "state_label": state_label,
            "live_job": live_job,
            "standing": standing,
            "flash": flash,
            "scan_error": scan_error,
            "can_upload": actor.role in (Role.OPD, Role.APPROVER, Role.ADMIN),
            "can_correct": actor.role in (Role.APPROVER, Role.ADMIN),
            "can_approve_letter": actor.role is Role.APPROVER and not req.letter_approved_by,
            "can_decide": actor.role in (Role.NETWORK, Role.ADMIN)
            and req.state in ("submitted", "verified"),
            "can_resubmit": actor.role in (Role.OPD, Role.ADMIN) and req.state == "returned",
            "revision": revision,
            "revision_fields": REVISION_FIELDS,
            "errors": errors or {},
            "max_mb": MAX_PDF_BYTES // 1024 // 1024,
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


@router.post("/requests/{request_id}/resubmit", response_class=HTMLResponse)
async def resubmit(
    request: Request,
    request_id: int,
    revisions: RevisionsDep,
    page: RequestPageDep,
    actor: SignedIn,
) -> Response:
    """The OPD revises a returned request (only the revisable fields) and submits it
    again; every refusal comes back on the page, next to its field."""
    read = read_revision_form(await request.form())  # by the JSON body's rules
    try:
        if read.errors:
            raise InvalidInput.of(list(read.errors.items()))
        revisions.resubmit_revised(
            request_id, actor, read.changes, client_ip=client_ip(request)
        )
    except InvalidInput as exc:
        return _detail_page(
            request, request_id, page, actor, errors=dict(exc.problems),
            values=read.values, status_code=422,
        )  # fmt: skip
    except (Forbidden, NotFound, Conflict) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}?resubmitted=1", status_code=303)


@router.get("/jobs/{job_id}/live")
def job_live(job_id: int, queries: QueriesDep, actor: SignedIn) -> JSONResponse:
    """The job's steps and the tail of each step's log, polled by static/js/job-live.js."""
    try:
        job = job_for(actor, queries.job(job_id, actor))
    except (Forbidden, NotFound) as exc:
        code = 403 if isinstance(exc, Forbidden) else 404
        return JSONResponse({"detail": exc.message}, status_code=code)
    return JSONResponse(
        {
            "id": job.id,
            "state": job.state,
            "kind": job.kind,
            "error": job.error if job.error is not None else job.public_error,
            "request_id": job.request_id,
            "steps": [
                {
                    "name": s.name,
                    "status": s.status,
                    "server": s.server,
                    "error": s.error if s.error is not None else s.public_error,
                    "log": (s.log or "")[-LOG_TAIL:],
                }
                for s in job.steps
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


# --- letters ----------------------------------------------------------------------------


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
    return RedirectResponse(f"/requests/{letter.request_id}#letters", status_code=303)


@router.post("/letters/{letter_id}/correct", response_class=HTMLResponse)
def correct_letter(
    request: Request,
    letter_id: int,
    letters: LettersDep,
    actor: SignedIn,
    addressee: Annotated[str, Form(max_length=300)] = "",
    subject: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Issue a correction (approver): a new letter naming the one it replaces."""
    changes = {k: v for k, v in (("addressee", addressee), ("subject", subject)) if v.strip()}
    try:
        if not changes:
            raise InvalidInput("addressee", "Isi yang dibetulkan / Give what to correct")
        letter = letters.correct(letter_id, changes, actor)
    except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{letter.request_id}#letters", status_code=303)


@router.post("/requests/{request_id}/letter/approve")
def approve_letter(
    request: Request, request_id: int, decisions: DecisionsDep, actor: SignedIn
) -> Response:
    """The approver records the approval of the issued letter."""
    try:
        decisions.approve_letter(request_id, actor, client_ip=client_ip(request))
    except (Forbidden, NotFound, Conflict) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}#letters", status_code=303)
