"""Requests: submit, read, approve, reject — OPD and network team."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, status
from fastapi.responses import FileResponse

from api.deps import (
    CurrentActor,
    DecisionsDep,
    IntakeDep,
    QueriesDep,
    UndoDep,
)
from api.gates import requires
from api.links import job_links, leads_to, listed_requests, request_links
from api.presenters import approval_out, issued_letter_out, request_out, with_standing
from api.schemas.jobs import JobOut
from api.schemas.letters import LetterOut
from api.schemas.requests import ApproveIn, PlanOut, RejectIn, RequestIn, RequestOut
from api.session import ClientIp
from provisioner.domain.actors import Action
from provisioner.domain.errors import NotFound
from provisioner.domain.requests import RequestDraft
from provisioner.domain.standing_changes import UNDOABLE_KINDS

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestOut,
             dependencies=[requires(Action.SUBMIT)],
             responses=leads_to(201, "The request as submitted",
                                request_links("$response.body#/id")))
def submit_request(
    body: RequestIn, intake: IntakeDep, actor: CurrentActor, ip: ClientIp
) -> RequestOut:
    """An OPD asks for a subdomain (and hosting), or a change / deactivation of its live
    site. A new name is checked for real first."""
    req = intake.submit(RequestDraft(**body.model_dump()), actor, client_ip=ip)
    return request_out(req, actor)


@router.get("", response_model=list[RequestOut], responses=leads_to(
    200, "Newest first, each with its jobs",
    request_links("$response.body#/0/id"),
    job_links("$response.body#/0/jobs/0/id", "$response.body#/0/jobs/0/steps/0/name"),
    listed_requests("$response.body#", 10),
))
def list_requests(
    queries: QueriesDep, actor: CurrentActor, state: str | None = None
) -> list[RequestOut]:
    """Requests the caller may see (an OPD sees only its own agency's)."""
    return [request_out(r, actor) for r in queries.list(actor, state=state)]


@router.get("/{request_id}", response_model=RequestOut, responses=leads_to(
    200, "The request with its jobs",
    job_links("$response.body#/jobs/0/id", "$response.body#/jobs/0/steps/0/name"),
))
def get_request(
    request_id: int, undo: UndoDep, queries: QueriesDep, actor: CurrentActor
) -> RequestOut:
    """One request with its jobs and the state of every step; for staff, what a failed
    provisioning job left standing on the servers (`jobs[].standing_changes`)."""
    out = request_out(queries.get(request_id, actor), actor)
    jobs = [
        with_standing(j, undo.standing(j.id, actor), actor) if j.kind in UNDOABLE_KINDS else j
        for j in out.jobs
    ]
    return out.model_copy(update={"jobs": jobs})


@router.get("/{request_id}/plan", response_model=PlanOut)
def get_plan(
    request_id: int, queries: QueriesDep, decisions: DecisionsDep, actor: CurrentActor
) -> PlanOut:
    """The plan the network team approves: DNS records, vhosts, database, deploy."""
    queries.get(request_id, actor)
    plan = decisions.preview_plan(request_id)
    return PlanOut(summary=plan.summary(), checksum=plan.checksum(), plan=plan.to_dict())


@router.post(
    "/{request_id}/approve",
    response_model=JobOut | RequestOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[requires(Action.DECIDE)],
    responses=leads_to(202, "The queued job, or the change request carried out",
                       job_links("$response.body#/id")),
)
def approve_request(
    request_id: int,
    decisions: DecisionsDep,
    actor: CurrentActor,
    ip: ClientIp,
    body: ApproveIn | None = None,
) -> JobOut | RequestOut:
    """Approve the shown plan and queue the provisioning job (network team). A change
    request is carried out and the request itself is returned."""
    done = decisions.approve(
        request_id, actor, checksum=body.checksum if body else None, client_ip=ip
    )
    return approval_out(done, actor)


@router.post("/{request_id}/reject", response_model=RequestOut,
             dependencies=[requires(Action.DECIDE)])
def reject_request(
    request_id: int, body: RejectIn, decisions: DecisionsDep, actor: CurrentActor, ip: ClientIp
) -> RequestOut:
    """Reject with a reason; the name is released."""
    return request_out(decisions.reject(request_id, actor, body.reason, client_ip=ip), actor)


@router.get("/{request_id}/letter", response_model=LetterOut)
def get_letter(request_id: int, queries: QueriesDep, actor: CurrentActor) -> LetterOut:
    """The issued reply / recommendation letter."""
    letter = queries.letter(request_id, actor)
    if letter is None:
        raise NotFound("Surat belum terbit / No letter issued yet")
    return issued_letter_out(letter, request_id)


@router.get("/{request_id}/letter.pdf", response_class=FileResponse)
def download_letter(request_id: int, queries: QueriesDep, actor: CurrentActor) -> FileResponse:
    """The letter as PDF."""
    letter = queries.letter(request_id, actor)
    if letter is None:
        raise NotFound("Surat belum terbit / No letter issued yet")
    return FileResponse(
        letter.pdf_path, media_type="application/pdf", filename=Path(letter.pdf_path).name
    )
