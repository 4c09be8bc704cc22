"""Pages around one request: my requests, a new request (with a live name check), the
status of every step, the job's output live, and the letters (download, TTE upload,
correction). Routes call the workflow only."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as FormUpload  # what request.form() returns

from api.deps import ServicesDep, letter_service, undo_service
from api.presenters import job_for, request_for
from api.web.render import render, state_label
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from provisioner.bootstrap.container import Services
from provisioner.domain import requests as request_domain
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServerUnreachable,
)
from provisioner.domain.requests import RequestDraft
from provisioner.jobs.control import StandingReport
from provisioner.workflow.letters import MAX_PDF_BYTES

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

# Form fields of the new-request form, in order; the optional ones are shown only when the
# request model has them (the people area adds NIP, position, rank …).
TEXT_FIELDS = (
    "label", "agency", "purpose", "contact_name", "contact_nip", "contact_position",
    "contact_rank", "contact_email", "contact_phone", "letter_number", "letter_date",
    "repo", "branch", "target_address", "request_type", "site_kind", "stack",
)
MAX_FIELD = 4000
# What an OPD may change when it revises a returned request (the workflow's list).
REVISION_FIELDS = (
    "purpose", "contact_name", "contact_nip", "contact_position", "contact_rank",
    "contact_email", "contact_phone", "letter_number", "letter_date",
)
OPTIONAL_REVISION_FIELDS = ("contact_nip", "contact_position", "contact_rank")
LOG_TAIL = 20_000


def _draft_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(RequestDraft)}


def staff_standing(services: Services, actor: Actor, job_id: int) -> StandingReport | None:
    """What a job left standing on the servers, for staff (an OPD's pages name no servers
    or databases), else None."""
    if actor.role is Role.OPD:
        return None
    return undo_service(services).standing(job_id, actor)


def error_page(request: Request, actor: Actor | None, exc: Exception) -> HTMLResponse:
    """Forbidden → 403, NotFound → 404, anything else of ours → 409, as a page."""
    code = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 409
    return render(
        request,
        "error.html",
        {"message": getattr(exc, "message", str(exc)), "code": code},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=code,
    )


# --- my requests --------------------------------------------------------------------


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, services: ServicesDep, actor: SignedIn) -> HTMLResponse:
    """An OPD's own requests (other roles: every request), newest first."""
    rows = services.requests.list(actor)
    return render(
        request,
        "requests.html",
        {"rows": rows, "state_label": state_label},
        actor=actor,
        csrf=page_csrf(request, actor),
    )


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_form(request: Request, services: ServicesDep, actor: SignedIn) -> HTMLResponse:
    """The new-request form; the name is checked as it is typed (static/js/availability.js)."""
    values = {"agency": actor.agency or "", "branch": "main", "hosting": True,
              "letter_date": date.today().isoformat()}
    return _form(request, services, actor, values, {})


def _form(
    request: Request,
    services: Services,
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
            "request_types": getattr(request_domain, "REQUEST_TYPES", {}),
            "site_kinds": getattr(request_domain, "SITE_KINDS", {}),
            "zone": services.settings.zone,
            "optional": _draft_fields(),
            "max_mb": MAX_PDF_BYTES // 1024 // 1024,
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


@router.post("/requests/new", response_class=HTMLResponse)
async def submit_request(
    request: Request, services: ServicesDep, actor: SignedIn
) -> Response:
    """Submit the form. Every refusal comes back on the form, next to its field."""
    form = await request.form()
    values: dict[str, Any] = {
        name: str(form.get(name, ""))[:MAX_FIELD] for name in TEXT_FIELDS if name in form
    }
    values["hosting"] = form.get("hosting") == "on"
    if "db_wanted" in _draft_fields():
        values["db_wanted"] = form.get("db_wanted") == "on"
    if actor.role is Role.OPD:
        values["agency"] = actor.agency or ""  # an OPD asks for its own agency only
    errors: dict[str, str] = {}
    try:
        letter_date = date.fromisoformat(values.get("letter_date", ""))
    except ValueError:
        errors["letter_date"] = "Tanggal tidak sah (YYYY-MM-DD) / Invalid date (YYYY-MM-DD)"
        letter_date = date.today()
    accepted = _draft_fields()
    draft_values: dict[str, Any] = {
        k: (v.strip() or None) if k in ("repo", "branch", "target_address") else v
        for k, v in values.items()
        if k in accepted and k not in ("hosting", "letter_date")
    }
    for optional in ("contact_nip", "contact_position", "contact_rank", "site_kind", "stack"):
        if optional in draft_values and not str(draft_values[optional]).strip():
            draft_values[optional] = None
    if not values["hosting"]:
        draft_values["repo"] = draft_values["branch"] = None
        draft_values.pop("db_wanted", None)
        draft_values.pop("stack", None)
    scan = form.get("letter_scan")
    scan_bytes = b""
    if isinstance(scan, FormUpload) and scan.filename:
        scan_bytes = await scan.read(MAX_PDF_BYTES + 1)
    if not errors:
        try:
            draft = RequestDraft(
                **draft_values, letter_date=letter_date, hosting=values["hosting"]
            )
            req = services.requests.submit(draft, actor, client_ip=client_ip(request))
            attach = getattr(services.requests, "attach_letter_scan", None)
            if scan_bytes and attach is not None:
                try:
                    attach(req.id, scan_bytes, actor)
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
        except TypeError as exc:  # a required field the form lacked
            errors["label"] = f"Isian tidak lengkap / Incomplete form: {exc}"
    return _form(request, services, actor, values, errors, status_code=422)


# --- one request ----------------------------------------------------------------------


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_detail(
    request: Request,
    request_id: int,
    services: ServicesDep,
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
    return _detail_page(request, request_id, services, actor, flash=flash, scan_error=scan_error)


def _detail_page(
    request: Request,
    request_id: int,
    services: Services,
    actor: Actor,
    *,
    flash: str | None = None,
    scan_error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        req = request_for(actor, services.requests.get(request_id, actor))
        letters = letter_service(services).letters(request_id, actor)
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    sla = getattr(getattr(services, "people", None), "sla", None)
    clocks = sla.clocks(request_id, actor) if sla is not None else []
    running = next(
        (j for j in reversed(req.jobs) if j.state in ("queued", "running")), None
    )
    latest = req.jobs[-1] if req.jobs else None
    live_job = running or latest
    standing = staff_standing(services, actor, live_job.id) if live_job is not None else None
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
            "can_approve_letter": actor.role is Role.APPROVER
            and hasattr(services.requests, "approve_letter")
            and not getattr(req, "letter_approved_by", None),
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
    request: Request, request_id: int, services: ServicesDep, actor: SignedIn
) -> Response:
    """The OPD revises a returned request (only the revisable fields) and submits it
    again; every refusal comes back on the page, next to its field."""
    form = await request.form()
    values = {f: str(form.get(f, ""))[:MAX_FIELD] for f in REVISION_FIELDS if f in form}
    changes: dict[str, Any] = {
        f: (v.strip() or None) if f in OPTIONAL_REVISION_FIELDS else v
        for f, v in values.items()
    }
    try:
        if "letter_date" in changes:
            try:
                changes["letter_date"] = date.fromisoformat(values["letter_date"])
            except ValueError:
                raise InvalidInput(
                    "letter_date", "Tanggal tidak sah (YYYY-MM-DD) / Invalid date (YYYY-MM-DD)"
                ) from None
        if "contact_phone" in changes:
            changes["contact_phone"] = changes["contact_phone"] or ""
        services.requests.resubmit_revised(
            request_id, actor, changes, client_ip=client_ip(request)
        )
    except InvalidInput as exc:
        return _detail_page(
            request, request_id, services, actor, errors=dict(exc.problems),
            values=values, status_code=422,
        )  # fmt: skip
    except (Forbidden, NotFound, Conflict) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}?resubmitted=1", status_code=303)


@router.get("/jobs/{job_id}/live")
def job_live(job_id: int, services: ServicesDep, actor: SignedIn) -> JSONResponse:
    """The job's steps and the tail of each step's log, polled by static/js/job-live.js."""
    try:
        job = job_for(actor, services.requests.job(job_id, actor))
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
    request: Request, letter_id: int, services: ServicesDep, actor: SignedIn
) -> Response:
    """The issued PDF (the one provisioner signed)."""
    try:
        letter = letter_service(services).letter(letter_id, actor)
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    return FileResponse(letter.pdf_path, media_type="application/pdf",
                        filename=Path(letter.pdf_path).name)


@router.get("/letters/{letter_id}/record.pdf")
def download_record(
    request: Request, letter_id: int, services: ServicesDep, actor: SignedIn
) -> Response:
    """The TTE-signed letter of record the agency uploaded."""
    try:
        letter = letter_service(services).letter(letter_id, actor)
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
    services: ServicesDep,
    actor: SignedIn,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store the TTE-signed PDF as the letter of record (once)."""
    data = await file.read(MAX_PDF_BYTES + 1)
    try:
        letter = letter_service(services).upload_record(letter_id, data, actor)
    except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{letter.request_id}#letters", status_code=303)


@router.post("/letters/{letter_id}/correct", response_class=HTMLResponse)
def correct_letter(
    request: Request,
    letter_id: int,
    services: ServicesDep,
    actor: SignedIn,
    addressee: Annotated[str, Form(max_length=300)] = "",
    subject: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Issue a correction (approver): a new letter naming the one it replaces."""
    changes = {k: v for k, v in (("addressee", addressee), ("subject", subject)) if v.strip()}
    try:
        if not changes:
            raise InvalidInput("addressee", "Isi yang dibetulkan / Give what to correct")
        letter = letter_service(services).correct(letter_id, changes, actor)
    except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{letter.request_id}#letters", status_code=303)


@router.post("/requests/{request_id}/letter/approve")
def approve_letter(
    request: Request, request_id: int, services: ServicesDep, actor: SignedIn
) -> Response:
    """The approver records the approval of the issued letter (people area's workflow)."""
    try:
        services.requests.approve_letter(request_id, actor, client_ip=client_ip(request))
    except (Forbidden, NotFound, Conflict) as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}#letters", status_code=303)
