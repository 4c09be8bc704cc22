"""Hosting workflow: the technical team deploys a branch or commit to dev, promotes the
commit that passed dev to production, rolls production back; anyone entitled asks for a
site's retirement, which the network team approves as a plan. Every action is a job on
the same journal as provisioning (read it at /api/v1/jobs/{id})."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentActor, DeploymentsDep, RetirementsDep
from api.gates import requires
from api.links import job_links, leads_to, retirement_links
from api.presenters import job_out, retirement_out
from api.schemas.hosting import (
    DeployIn,
    PromoteIn,
    RetireDecisionIn,
    RetireIn,
    RetirementOut,
    RetireRejectIn,
)
from api.schemas.jobs import JobOut
from provisioner.domain.actors import Action

router = APIRouter(tags=["deployments"])


@router.post("/api/v1/sites/{fqdn}/deploy", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DEPLOY)],
             responses=leads_to(202, "The queued job", job_links("$response.body#/id")))
def deploy(
    fqdn: str, body: DeployIn, deployments: DeploymentsDep, actor: CurrentActor
) -> JobOut:
    """Deploy a branch head (default: the request's branch) or an exact commit to the dev
    server, then run the dev checks (technical team). 409 while the site is busy."""
    job = deployments.deploy(fqdn, actor, branch=body.branch, commit=body.commit)
    return job_out(job, actor)


@router.post("/api/v1/sites/{fqdn}/promote", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.PROMOTE)],
             responses=leads_to(202, "The queued job", job_links("$response.body#/id")))
def promote(
    fqdn: str, deployments: DeploymentsDep, actor: CurrentActor, body: PromoteIn | None = None
) -> JobOut:
    """Put the commit that passed the dev checks on production, check it there, and roll
    production back automatically if those checks fail (technical team)."""
    job = deployments.promote(fqdn, actor, commit=body.commit if body else None)
    return job_out(job, actor)


@router.post("/api/v1/sites/{fqdn}/release", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.PROMOTE)],
             responses=leads_to(202, "The queued job", job_links("$response.body#/id")))
def release(fqdn: str, deployments: DeploymentsDep, actor: CurrentActor) -> JobOut:
    """Put a site its SOP held at the dev server on production (its own job: the commit
    that passed dev, the production site, the checks there and the letter)."""
    return job_out(deployments.release(fqdn, actor), actor)


@router.post("/api/v1/sites/{fqdn}/rollback", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DEPLOY)])
def rollback(fqdn: str, deployments: DeploymentsDep, actor: CurrentActor) -> JobOut:
    """Move production back to the release before the current one, then check it."""
    return job_out(deployments.rollback(fqdn, actor), actor)


@router.post("/api/v1/requests/{request_id}/retire", response_model=RetirementOut,
             status_code=status.HTTP_201_CREATED,
             responses=leads_to(201, "The retirement plan to decide",
                                retirement_links("$response.body#/request_id")))
def propose_retirement(
    request_id: int,
    retirements: RetirementsDep,
    actor: CurrentActor,
    body: RetireIn | None = None,
) -> RetirementOut:
    """Ask for a site's retirement: returns the plan (DNS records deleted, database dumped,
    sites and database removed, name released) for the network team to approve."""
    row = retirements.propose(request_id, actor, body.reason if body else "")
    return retirement_out(row)


@router.get("/api/v1/requests/{request_id}/retire", response_model=RetirementOut)
def get_retirement(
    request_id: int, retirements: RetirementsDep, actor: CurrentActor
) -> RetirementOut:
    """The newest retirement plan of a request and its decision."""
    return retirement_out(retirements.current(request_id, actor))


@router.post("/api/v1/requests/{request_id}/retire/approve", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DECIDE)],
             responses=leads_to(202, "The queued retire job", job_links("$response.body#/id")))
def approve_retirement(
    request_id: int, retirements: RetirementsDep, actor: CurrentActor,
    body: RetireDecisionIn | None = None,
) -> JobOut:
    """Approve the shown retirement plan (network team) and queue the retire job."""
    job = retirements.approve(request_id, actor, checksum=body.checksum if body else None)
    return job_out(job, actor)


@router.post("/api/v1/requests/{request_id}/retire/reject", response_model=RetirementOut,
             dependencies=[requires(Action.DECIDE)])
def reject_retirement(
    request_id: int, body: RetireRejectIn, retirements: RetirementsDep, actor: CurrentActor
) -> RetirementOut:
    """Reject a retirement plan with a reason; the site stays as it is."""
    return retirement_out(retirements.reject(request_id, actor, body.reason))
