"""Pages of Diskominfo's teams: the network team's approval queue (with each request's age
and SLA clock) and the review — what the agency submitted, its scan, the plan as a diff —
with approve / return / reject; the technical team's sites with only the actions that
apply, and the job page with retry and undo. Consequential actions ask first
(api/web/confirm.py) and end with a message that links to the job. Routes call the
workflow only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import (
    DecisionsDep,
    DeploymentsDep,
    DocumentsDep,
    JobControlDep,
    QueriesDep,
    RevisionsDep,
    UndoDep,
)
from api.errors import error_page
from api.presenters import job_for
from api.session import People
from api.web.actions import site_actions
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, pick, translate
from api.web.listing import ListQuery, paginate
from api.web.opd import REQUEST_SORTS, request_text
from api.web.plan_view import plan_sections
from api.web.render import render
from api.web.request_pages import staff_standing
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Conflict, InvalidInput, NotFound, ProvisionerError
from provisioner.domain.plan import RequestPlan
from provisioner.domain.requests import REASON_REQUIRED, required_note
from provisioner.jobs.control import StandingReport
from provisioner.workflow.read_models import RequestView
from provisioner.workflow.requests.decisions import RequestDecisions
from provisioner.workflow.requests.documents import LetterScans
from provisioner.workflow.requests.queries import RequestQueries

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

QUEUE_STATES = ("submitted", "verified")
SITE_STATES = ("live", "letter_issued", "production", "dev_ready", "testing_dev",
               "provisioning", "failed")  # fmt: skip
SITE_ACTIONS = ("deploy", "promote", "release", "rollback")


@dataclass(frozen=True)
class ReviewPage:
    """What the review page reads: the request, its scan, the plan its approval covers."""

    queries: RequestQueries
    decisions: RequestDecisions
    documents: LetterScans


def _review(queries: QueriesDep, decisions: DecisionsDep, documents: DocumentsDep) -> ReviewPage:
    return ReviewPage(queries, decisions, documents)


ReviewDep = Annotated[ReviewPage, Depends(_review)]


# --- network team ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    req: RequestView
    clock: Any  # the running SLA step (StepClock) or None


def _on_request(key: Callable[[RequestView], Any]) -> Callable[[QueueRow], Any]:
    """A sort key of the requests' list, applied to a queue row's request."""
    return lambda row: key(row.req)


@router.get("/queue", response_class=HTMLResponse)
def approval_queue(
    request: Request, queries: QueriesDep, people: People, actor: SignedIn
) -> Response:
    """Requests waiting for the network team's decision, oldest first, each with how long
    it has waited and its running SLA step."""
    try:
        ensure_allowed(actor, Action.DECIDE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    rows = [
        QueueRow(r, next((c for c in people.sla.clocks(r.id) if c.running), None))
        for s in QUEUE_STATES for r in queries.list(actor, state=s)
    ]  # fmt: skip
    sorts: dict[str, Callable[[QueueRow], Any]] = {
        **{k: _on_request(f) for k, f in REQUEST_SORTS.items()},
        "sla": lambda row: row.clock.used_minutes / row.clock.limit_minutes if row.clock else 0,
    }
    listing = paginate(
        rows, ListQuery.of(request.query_params, sort="created", desc=False), path="/queue",
        text=lambda row: request_text(row.req), sorts=sorts, state=lambda row: row.req.state,
        kind=lambda row: row.req.request_type,
    )  # fmt: skip
    return render(request, "queue.html", {"listing": listing}, actor=actor,
                  csrf=page_csrf(request, actor))


@router.get("/requests/{request_id}/review", response_class=HTMLResponse)
def review(request: Request, request_id: int, page: ReviewDep, actor: SignedIn) -> Response:
    """What the agency submitted (its scan viewable), the plan the approval covers as a
    diff, with approve / return / reject."""
    return _review_page(request, request_id, page, actor)


def _review_page(
    request: Request,
    request_id: int,
    page: ReviewPage,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    refused: str | None = None
    try:
        ensure_allowed(actor, Action.DECIDE)
        req = page.queries.get(request_id, actor)
        has_scan = page.documents.scan_path(request_id, actor) is not None
        try:
            plan: RequestPlan | None = page.decisions.preview_plan(request_id)
        except (InvalidInput, Conflict) as exc:
            # A plan that cannot be carried out: show why, offer return / reject only.
            plan, refused = None, exc.message
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return render(
        request,
        "review.html",
        {
            "req": req,
            "has_scan": has_scan,
            "sections": plan_sections(plan),
            "checksum": plan.checksum() if plan is not None else None,
            "plan_refused": refused,
            "errors": errors or {},
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


def _ask(request: Request, actor: Actor, key: str, back: str, fields: dict[str, Any],
         *, danger: bool = False, **names: object) -> Response:  # fmt: skip
    lang = language(request)
    return confirm_page(
        request, actor, question=translate(f"confirm.q.{key}", lang, **names),
        button=translate(f"confirm.do.{key}", lang), fields=fields, back=back, danger=danger,
    )  # fmt: skip


@router.post("/requests/{request_id}/approve")
def approve(
    request: Request,
    request_id: int,
    page: ReviewDep,
    actor: SignedIn,
    checksum: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Approve exactly the plan that was shown (its checksum) and queue the job."""
    try:
        if not is_confirmed(confirmed):
            req = page.queries.get(request_id, actor)
            return _ask(request, actor, "approve", f"/requests/{request_id}/review",
                        {"checksum": checksum}, fqdn=req.fqdn)  # fmt: skip
        result = page.decisions.approve(
            request_id, actor, checksum=checksum, client_ip=client_ip(request)
        )
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    if result.job is not None:
        return RedirectResponse(done_url(f"/requests/{request_id}", "approved",
                                         job=result.job.id), status_code=303)  # fmt: skip
    return RedirectResponse(done_url(f"/requests/{request_id}", "carried_out"), status_code=303)


@router.post("/requests/{request_id}/reject")
def reject(
    request: Request,
    request_id: int,
    page: ReviewDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Reject with a reason (required, checked before asking); the name is released."""
    try:
        required_note("reason", reason, REASON_REQUIRED)
        if not is_confirmed(confirmed):
            req = page.queries.get(request_id, actor)
            return _ask(request, actor, "reject", f"/requests/{request_id}/review",
                        {"reason": reason}, danger=True, fqdn=req.fqdn)  # fmt: skip
        page.decisions.reject(request_id, actor, reason, client_ip=client_ip(request))
    except InvalidInput as exc:
        return _review_page(request, request_id, page, actor, errors=dict(exc.problems),
                            status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{request_id}", "rejected"), status_code=303)


@router.post("/requests/{request_id}/return")
def return_for_revision(
    request: Request,
    request_id: int,
    revisions: RevisionsDep,
    page: ReviewDep,
    actor: SignedIn,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Return the request to the OPD with what to revise (required); its SLA clock stops
    until the OPD submits it again, and the OPD is notified."""
    try:
        revisions.return_for_revision(request_id, actor, note, client_ip=client_ip(request))
    except InvalidInput as exc:
        return _review_page(request, request_id, page, actor, errors=dict(exc.problems),
                            status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}?returned=1", status_code=303)


# --- technical team -------------------------------------------------------------------


@router.get("/sites", response_class=HTMLResponse)
def sites(request: Request, queries: QueriesDep, actor: SignedIn) -> Response:
    """The hosted sites with the actions that apply to each, and their latest jobs."""
    try:
        ensure_allowed(actor, Action.OPERATE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    rows = [r for r in queries.list(actor) if r.state in SITE_STATES and r.hosting]
    listing = paginate(
        rows, ListQuery.of(request.query_params, sort="name", desc=False), path="/sites",
        text=request_text, sorts=REQUEST_SORTS, state=lambda r: r.state,
    )  # fmt: skip
    actions = {r.id: site_actions(actor, r) for r in listing.rows}
    return render(request, "sites.html", {"listing": listing, "actions": actions},
                  actor=actor, csrf=page_csrf(request, actor))


@router.post("/sites/{fqdn}/{action}")
def site_action(
    request: Request,
    fqdn: str,
    action: str,
    deployments: DeploymentsDep,
    actor: SignedIn,
    branch: Annotated[str, Form(max_length=200)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Deploy to dev, promote to production or roll back, once confirmed; then the job."""
    try:
        if action not in SITE_ACTIONS:
            raise NotFound(f"Aksi {action} tidak ada / No action {action}")
        ensure_allowed(actor, Action.PROMOTE if action in ("promote", "release") else Action.DEPLOY)
        if not is_confirmed(confirmed):
            return _ask(request, actor, action, "/sites", {"branch": branch},
                        danger=action == "rollback", fqdn=fqdn, branch=branch or "main")
        if action == "deploy":
            job = deployments.deploy(fqdn, actor, branch=branch.strip() or None)
        elif action == "promote":
            job = deployments.promote(fqdn, actor)
        elif action == "release":
            job = deployments.release(fqdn, actor)
        else:
            job = deployments.rollback(fqdn, actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/jobs/{job.id}", action, job=job.id, name=fqdn),
                            status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, job_id: int, queries: QueriesDep, undo: UndoDep, actor: SignedIn
) -> Response:
    """One job with its steps; the output streams in while it runs."""
    try:
        job = job_for(actor, queries.job(job_id, actor))
        standing = staff_standing(undo, actor, job_id)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return render(request, "job.html", {"job": job, "standing": standing}, actor=actor,
                  csrf=page_csrf(request, actor))


@router.post("/jobs/{job_id}/retry")
def retry(request: Request, job_id: int, control: JobControlDep, actor: SignedIn) -> Response:
    """Resume a failed job at its failed step."""
    try:
        control.retry(job_id, actor, client_ip=client_ip(request))
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/jobs/{job_id}", "retry", job=job_id), status_code=303)


@router.post("/jobs/{job_id}/undo")
def undo(
    request: Request,
    job_id: int,
    undo_service: UndoDep,
    actor: SignedIn,
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Take back what a failed job left standing, once confirmed like every consequential
    action (a dialog with JavaScript; without it a page that asks, listing what stands);
    the worker does it, the job page shows it happen."""
    try:
        if not is_confirmed(confirmed):
            ensure_allowed(actor, Action.OPERATE)
            return _ask_undo(request, actor, undo_service.standing(job_id, actor))
        undo_service.undo(job_id, actor, client_ip=client_ip(request))
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/jobs/{job_id}", "undo", job=job_id), status_code=303)


def _ask_undo(request: Request, actor: Actor, report: StandingReport) -> Response:
    """The undo's question with each change that stands (server: what, its items)."""
    if not report.undoable:
        raise Conflict(
            f"Pekerjaan #{report.job_id} tidak meninggalkan perubahan yang dapat ditarik "
            f"kembali / Job #{report.job_id} left no changes that can be taken back"
        )
    lang = language(request)
    details = [
        (c.server, pick(c.text, lang) + (": " + "; ".join(c.items) if c.items else ""))
        for c in report.changes
    ]
    return confirm_page(
        request, actor, question=translate("confirm.q.undo", lang, job=report.job_id),
        button=translate("confirm.do.undo", lang), fields={}, back=f"/jobs/{report.job_id}",
        details=details, danger=True,
    )  # fmt: skip
