"""Pages of the Diskominfo teams: the network team's approval queue with the plan as a diff
and DNS drift, the technical team's deploy / promote / roll back with live job output, and
the approver's dashboard. Routes call the workflow only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import (
    DecisionsDep,
    DeploymentsDep,
    DriftDep,
    JobControlDep,
    QueriesDep,
    RevisionsDep,
    UndoDep,
)
from api.errors import error_page
from api.presenters import job_for
from api.session import People
from api.web.dashboard import open_requests, time_to_live_per_month
from api.web.opd import staff_standing
from api.web.plan_view import plan_sections
from api.web.render import render, state_label
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, ProvisionerError
from provisioner.domain.plan import RequestPlan
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.requests.decisions import RequestDecisions
from provisioner.workflow.requests.queries import RequestQueries

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

QUEUE_STATES = ("submitted", "verified")
SITE_STATES = ("live", "letter_issued", "production", "testing_dev", "failed")
SITE_ACTIONS = ("deploy", "promote", "rollback")


@dataclass(frozen=True)
class ReviewPage:
    """What the review page reads: the request and the plan its approval would cover."""

    queries: RequestQueries
    decisions: RequestDecisions


def _review(queries: QueriesDep, decisions: DecisionsDep) -> ReviewPage:
    return ReviewPage(queries, decisions)


ReviewDep = Annotated[ReviewPage, Depends(_review)]


# --- network team ---------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def approval_queue(request: Request, queries: QueriesDep, actor: SignedIn) -> Response:
    """Requests waiting for the network team's decision, oldest first."""
    try:
        ensure_allowed(actor, Action.DECIDE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    rows = [r for s in QUEUE_STATES for r in queries.list(actor, state=s)]
    rows.sort(key=lambda r: r.id)
    return render(request, "queue.html", {"rows": rows, "state_label": state_label},
                  actor=actor, csrf=page_csrf(request, actor))


@router.get("/requests/{request_id}/review", response_class=HTMLResponse)
def review(request: Request, request_id: int, page: ReviewDep, actor: SignedIn) -> Response:
    """The plan the approval covers, as a diff, with approve / return / reject."""
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
            "sections": plan_sections(plan),
            "checksum": plan.checksum() if plan is not None else None,
            "plan_refused": refused,
            "state_label": state_label,
            "errors": errors or {},
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


@router.post("/requests/{request_id}/approve")
def approve(
    request: Request,
    request_id: int,
    decisions: DecisionsDep,
    actor: SignedIn,
    checksum: Annotated[str, Form(max_length=64)],
) -> Response:
    """Approve exactly the plan that was shown (its checksum) and queue the job."""
    try:
        decisions.approve(
            request_id, actor, checksum=checksum, client_ip=client_ip(request)
        )
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


@router.post("/requests/{request_id}/reject")
def reject(
    request: Request,
    request_id: int,
    page: ReviewDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Reject with a reason (required); the name is released."""
    try:
        page.decisions.reject(request_id, actor, reason, client_ip=client_ip(request))
    except InvalidInput as exc:
        return _review_page(
            request, request_id, page, actor, errors={exc.field: exc.message},
            status_code=422,
        )  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


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
        revisions.return_for_revision(
            request_id, actor, note, client_ip=client_ip(request)
        )
    except InvalidInput as exc:
        return _review_page(
            request, request_id, page, actor, errors={exc.field: exc.message},
            status_code=422,
        )  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/requests/{request_id}?returned=1", status_code=303)


@router.get("/drift", response_class=HTMLResponse)
def dns_drift(
    request: Request, drift: DriftDep, actor: SignedIn, repaired: str | None = None
) -> Response:
    """What changed in the zone behind provisioner's back (the DriftService), with
    each zone's repair plan and the button that approves it."""
    return _drift_page(request, drift, actor, repaired=repaired)


def _drift_page(
    request: Request,
    drift: DriftService,
    actor: Actor,
    *,
    repaired: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        ensure_allowed(actor, Action.DECIDE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    zones: list[dict[str, Any]]
    try:
        zones = [z.to_dict() for z in drift.detect()]
    except ProvisionerError as exc:
        zones, error = [], exc.message
    return render(request, "drift.html", {"zones": zones, "error": error, "repaired": repaired},
                  actor=actor, csrf=page_csrf(request, actor), status_code=status_code)


@router.post("/drift/repair")
def repair_drift(
    request: Request,
    drift: DriftDep,
    actor: SignedIn,
    zone: Annotated[str, Form(max_length=253)],
    checksum: Annotated[str, Form(max_length=64)],
) -> Response:
    """Approve a zone's repair plan (network team): applied through the guarded DNS path
    only if it is still exactly the plan that was shown (its checksum)."""
    try:
        drift.repair(zone, checksum, actor)
    except Forbidden as exc:
        return error_page(request, actor, exc)
    except ProvisionerError as exc:
        # The plan changed or a record moved meanwhile: show the fresh report and why.
        return _drift_page(request, drift, actor, error=exc.message, status_code=409)
    return RedirectResponse(f"/drift?repaired={quote(zone)}", status_code=303)


# --- technical team -------------------------------------------------------------------


@router.get("/sites", response_class=HTMLResponse)
def sites(request: Request, queries: QueriesDep, actor: SignedIn) -> Response:
    """Live sites with deploy / promote / roll back, and their latest jobs."""
    try:
        ensure_allowed(actor, Action.OPERATE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    rows = [  # a listed request comes with its jobs
        r for r in queries.list(actor) if r.state in SITE_STATES and r.hosting
    ]
    return render(
        request,
        "sites.html",
        {"rows": rows, "state_label": state_label},
        actor=actor,
        csrf=page_csrf(request, actor),
    )


@router.post("/sites/{fqdn}/{action}")
def site_action(
    request: Request,
    fqdn: str,
    action: str,
    deployments: DeploymentsDep,
    actor: SignedIn,
    branch: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Deploy to dev, promote to production or roll back; then watch the job live."""
    try:
        if action not in SITE_ACTIONS:
            raise NotFound(f"Aksi {action} tidak ada / No action {action}")
        if action == "deploy":
            job = deployments.deploy(fqdn, actor, branch=branch.strip() or None)
        elif action == "promote":
            job = deployments.promote(fqdn, actor)
        else:
            job = deployments.rollback(fqdn, actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


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
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/undo")
def undo(
    request: Request,
    job_id: int,
    undo_service: UndoDep,
    actor: SignedIn,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Take back what a failed job left standing, once the operator ticked the
    confirmation; the worker does it, the job page shows it happen."""
    try:
        if confirm != "yes":
            raise InvalidInput(
                "confirm",
                "Centang konfirmasi untuk membatalkan perubahan / "
                "Tick the confirmation to undo the changes",
            )
        undo_service.undo(job_id, actor, client_ip=client_ip(request))
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


# --- approver -------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, queries: QueriesDep, people: People, actor: SignedIn
) -> Response:
    """Open requests, overdue steps (the SLA clocks), time to live per month."""
    if actor.role not in (Role.APPROVER, Role.ADMIN, Role.NETWORK, Role.TECHNICAL):
        return error_page(request, actor, Forbidden("Dasbor untuk tim / Dashboard for staff"))
    rows = queries.list(actor)
    overdue = list(people.sla.overdue(actor))
    return render(
        request,
        "dashboard.html",
        {
            "open": open_requests(rows),
            "total": len(rows),
            "overdue": overdue,
            "months": time_to_live_per_month(rows),
            "state_label": state_label,
        },
        actor=actor,
        csrf=page_csrf(request, actor),
    )
