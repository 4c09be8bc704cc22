"""One request's page. The agency reads its letter first once issued, what it can do
next, a plain timeline and what it submitted (its scan viewable); Diskominfo's teams
also get the jobs with their steps, logs and what failed where, and the actions their
role may take in the request's state. Routes call the workflow only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import (
    DocumentsDep,
    LettersDep,
    QueriesDep,
    RetirementsDep,
    RevisionsDep,
    SettingsDep,
    UndoDep,
)
from api.errors import error_page
from api.presenters import job_for, request_for
from api.session import People
from api.web.actions import RequestActions, actions_for
from api.web.flash import done_url
from api.web.forms import REVISION_FIELDS, read_revision_form
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from api.web.timeline import current_step, timeline
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from provisioner.jobs.control import JobUndoService, StandingReport
from provisioner.workflow.hosting.retirement import RetirementService
from provisioner.workflow.letters import MAX_PDF_BYTES, LetterService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.read_models import JobView, RequestView, RetirementView
from provisioner.workflow.requests.documents import LetterScans
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
    """What a request's page reads: the request, its letters, its SLA clocks, its scan,
    its retirement plan and — for staff — what its job left standing."""

    queries: RequestQueries
    letters: LetterService
    sla: SlaService
    undo: JobUndoService
    documents: LetterScans
    retirements: RetirementService
    settings: Settings


def _request_page(
    queries: QueriesDep, letters: LettersDep, people: People, undo: UndoDep,
    documents: DocumentsDep, retirements: RetirementsDep, settings: SettingsDep,
) -> RequestPage:  # fmt: skip
    return RequestPage(queries, letters, people.sla, undo, documents, retirements, settings)


RequestPageDep = Annotated[RequestPage, Depends(_request_page)]


def _live_job(req: RequestView) -> JobView | None:
    running = next((j for j in reversed(req.jobs) if j.state in ("queued", "running")), None)
    return running or (req.jobs[-1] if req.jobs else None)


def _retirement(page: RequestPage, req: RequestView, actor: Actor) -> RetirementView | None:
    try:
        return page.retirements.current(req.id, actor)
    except NotFound:
        return None


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_detail(
    request: Request, request_id: int, page: RequestPageDep, actor: SignedIn,
    scan_error: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """The request: its letter, next step, timeline, what was submitted; for staff its
    jobs and the actions that apply."""
    return _detail_page(request, request_id, page, actor, scan_error=scan_error)


def _context(page: RequestPage, req: RequestView, actor: Actor) -> dict[str, Any]:
    letters = page.letters.letters(req.id, actor)
    live_job = _live_job(req)
    moments = timeline(req)
    retirement = _retirement(page, req, actor)
    return {
        "req": req,
        "letters": letters,
        "letter": letters[-1] if letters else None,
        "clocks": page.sla.clocks(req.id, actor),
        "moments": moments,
        "now": current_step(moments),
        "live_job": live_job,
        "standing": staff_standing(page.undo, actor, live_job.id) if live_job else None,
        "has_scan": page.documents.scan_path(req.id, actor) is not None,
        "retirement": retirement,
        "can": actions_for(actor, req, retirement, has_letters=bool(letters)),
        "revision_fields": REVISION_FIELDS,
        "max_mb": MAX_PDF_BYTES // 1024 // 1024,
    }


def _detail_page(
    request: Request,
    request_id: int,
    page: RequestPage,
    actor: Actor,
    *,
    scan_error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        req = request_for(actor, page.queries.get(request_id, actor))
        context = _context(page, req, actor)
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    revision = {f: getattr(req, f) for f in REVISION_FIELDS}
    revision["letter_date"] = req.letter_date.isoformat()
    revision.update(values or {})
    context.update(revision=revision, errors=errors or {}, scan_error=scan_error)
    return render(request, "request_detail.html", context, actor=actor,
                  csrf=page_csrf(request, actor), status_code=status_code)


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


@router.get("/requests/{request_id}/scan.pdf")
def view_scan(
    request: Request, request_id: int, documents: DocumentsDep, actor: SignedIn
) -> Response:
    """The scan of the agency's request letter, for whoever may see the request: shown in
    the browser (a PDF, checked as one when it was uploaded)."""
    try:
        path = documents.scan_path(request_id, actor)
        if path is None:
            raise NotFound("Belum ada pindaian surat / No scan of the letter yet")
    except (Forbidden, NotFound) as exc:
        return error_page(request, actor, exc)
    return FileResponse(path, media_type="application/pdf", filename=Path(path).name,
                        content_disposition_type="inline")


@router.get("/jobs/{job_id}/live")
def job_live(job_id: int, queries: QueriesDep, actor: SignedIn) -> JSONResponse:
    """The job's steps and the tail of each step's log, polled by static/js/job-live.js
    (an OPD's copy is its plain progress, see presenters.step_for)."""
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


__all__ = ["RequestActions", "done_url", "router", "staff_standing"]
