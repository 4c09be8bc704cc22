"""Hosting workflow: the technical team deploys a branch or commit to dev, promotes the
commit that passed dev to production, rolls production back; anyone entitled asks for a
site's retirement, which the network team approves as a plan. Every action is a job on
the same journal as provisioning (read it at /api/v1/jobs/{id})."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentActor, ServicesDep
from api.gates import requires
from api.links import job_links, leads_to, retirement_links
from api.presenters import job_out
from api.schemas import JobOut
from provisioner.bootstrap.container import Services
from provisioner.domain.actors import Action
from provisioner.domain.retire_plan import retire_summary
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.hosting.retirement import RetirementService
from provisioner.workflow.read_models import RetirementView

router = APIRouter(tags=["deployments"])


class DeployIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    branch: str | None = Field(None, max_length=200, description="branch head to deploy")
    commit: str | None = Field(None, max_length=40, description="exact commit (40 hex)")


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    commit: str | None = Field(
        None, max_length=40, description="a commit that passed dev (default: the newest)"
    )


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field("", max_length=2000)


class RetireDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    checksum: str | None = Field(None, description="checksum of the plan you reviewed")


class RetireRejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(..., max_length=2000)


class RetirementOut(BaseModel):
    id: int
    request_id: int
    state: str
    summary: list[str]
    checksum: str
    plan: dict[str, Any]
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    job_id: int | None


def _deployments(services: Services) -> DeploymentService:
    assert services.deployments is not None
    return services.deployments


def _retirements(services: Services) -> RetirementService:
    assert services.retirements is not None
    return services.retirements


def _retirement_out(row: RetirementView) -> RetirementOut:
    return RetirementOut(
        id=row.id, request_id=row.request_id, state=row.state, summary=retire_summary(row.plan),
        checksum=row.checksum, plan=row.plan, reason=row.reason, proposed_by=row.proposed_by,
        proposed_at=row.proposed_at, decided_by=row.decided_by, decided_at=row.decided_at,
        rejection_reason=row.rejection_reason, job_id=row.job_id,
    )


@router.post("/api/v1/sites/{fqdn}/deploy", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DEPLOY)],
             responses=leads_to(202, "The queued job", job_links("$response.body#/id")))
def deploy(fqdn: str, body: DeployIn, services: ServicesDep, actor: CurrentActor) -> JobOut:
    """Deploy a branch head (default: the request's branch) or an exact commit to the dev
    server, then run the dev checks (technical team). 409 while the site is busy."""
    job = _deployments(services).deploy(fqdn, actor, branch=body.branch, commit=body.commit)
    return job_out(job, actor)


@router.post("/api/v1/sites/{fqdn}/promote", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.PROMOTE)],
             responses=leads_to(202, "The queued job", job_links("$response.body#/id")))
def promote(
    fqdn: str, services: ServicesDep, actor: CurrentActor, body: PromoteIn | None = None
) -> JobOut:
    """Put the commit that passed the dev checks on production, check it there, and roll
    production back automatically if those checks fail (technical team)."""
    job = _deployments(services).promote(fqdn, actor, commit=body.commit if body else None)
    return job_out(job, actor)


@router.post("/api/v1/sites/{fqdn}/rollback", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DEPLOY)])
def rollback(fqdn: str, services: ServicesDep, actor: CurrentActor) -> JobOut:
    """Move production back to the release before the current one, then check it."""
    return job_out(_deployments(services).rollback(fqdn, actor), actor)


@router.post("/api/v1/requests/{request_id}/retire", response_model=RetirementOut,
             status_code=status.HTTP_201_CREATED,
             responses=leads_to(201, "The retirement plan to decide",
                                retirement_links("$response.body#/request_id")))
def propose_retirement(
    request_id: int, services: ServicesDep, actor: CurrentActor, body: RetireIn | None = None
) -> RetirementOut:
    """Ask for a site's retirement: returns the plan (DNS records deleted, database dumped,
    sites and database removed, name released) for the network team to approve."""
    row = _retirements(services).propose(request_id, actor, body.reason if body else "")
    return _retirement_out(row)


@router.get("/api/v1/requests/{request_id}/retire", response_model=RetirementOut)
def get_retirement(request_id: int, services: ServicesDep, actor: CurrentActor) -> RetirementOut:
    """The newest retirement plan of a request and its decision."""
    return _retirement_out(_retirements(services).current(request_id, actor))


@router.post("/api/v1/requests/{request_id}/retire/approve", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[requires(Action.DECIDE)],
             responses=leads_to(202, "The queued retire job", job_links("$response.body#/id")))
def approve_retirement(
    request_id: int, services: ServicesDep, actor: CurrentActor,
    body: RetireDecisionIn | None = None,
) -> JobOut:
    """Approve the shown retirement plan (network team) and queue the retire job."""
    job = _retirements(services).approve(request_id, actor,
                                         checksum=body.checksum if body else None)
    return job_out(job, actor)


@router.post("/api/v1/requests/{request_id}/retire/reject", response_model=RetirementOut,
             dependencies=[requires(Action.DECIDE)])
def reject_retirement(
    request_id: int, body: RetireRejectIn, services: ServicesDep, actor: CurrentActor
) -> RetirementOut:
    """Reject a retirement plan with a reason; the site stays as it is."""
    return _retirement_out(_retirements(services).reject(request_id, actor, body.reason))
