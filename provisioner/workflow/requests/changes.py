"""Change requests on a live site: the plan of what approving one does, and carrying it out
in the approving transaction — a change of the person responsible at once, a change of
target as its DNS change job (moves the A record on ns1, verifies it on ns2). A
deactivation is completed here and handed to the retire job after the commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.jobs import RETARGET_STEPS, site_lock_key
from provisioner.domain.plan import ChangePlan
from provisioner.domain.states import RequestState
from provisioner.store.models.base import utcnow
from provisioner.store.models.jobs import Job
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    audit as audit_repo,
    jobs as jobs_repo,
    requests as requests_repo,
)
from provisioner.workflow.requests.transitions import move

CONTACT_FIELDS = (
    "contact_name", "contact_email", "contact_phone", "contact_nip", "contact_position",
    "contact_rank",
)  # fmt: skip


def change_plan(req: Request, owned: tuple[str, int] | None, ttl: int) -> ChangePlan:
    """The plan of a change request. A change of target moves the site's A record from the
    value provisioner last wrote (`owned`: value, TTL) to the new address."""
    if req.request_type == "change_target":
        assert req.target_address is not None  # required by the request's validation
        return ChangePlan.retarget(
            zone=req.zone, fqdn=req.fqdn, site_request_id=req.subject_request_id,
            target_address=req.target_address, owned=owned, ttl=ttl,
        )  # fmt: skip
    if req.request_type == "change_contact":
        return ChangePlan.contact_change(
            fqdn=req.fqdn, site_request_id=req.subject_request_id,
            target_address=req.target_address, contact_name=req.contact_name,
            contact_email=req.contact_email,
        )  # fmt: skip
    return ChangePlan.deactivation(
        fqdn=req.fqdn, site_request_id=req.subject_request_id,
        target_address=req.target_address, kind=req.request_type,
    )  # fmt: skip


def carry_out(
    s: Session,
    req: Request,
    actor: Actor,
    plan: ChangePlan,
    digest: str,
    client_ip: str | None,
) -> Job | None:
    """Carry out an approved change request inside the approving transaction; a change
    of target instead gets its DNS change job, queued in the same transaction."""
    req.decided_by = actor.username
    req.decided_at = utcnow()
    req.plan_checksum = digest
    job = None
    if req.request_type == "change_target":
        req.plan = plan.to_dict()  # what the job applies: exactly the plan with this checksum
        job = jobs_repo.create_job(
            s,
            request_id=req.id,
            kind="retarget",
            lock_key=site_lock_key(req.fqdn),
            steps=[spec.name for spec in RETARGET_STEPS],
            actor=actor.username,
        )
    move(s, req, RequestState.APPROVED, actor, "request:approved", client_ip,
         job_id=job.id if job is not None else None,
         detail={"plan_checksum": digest, "type": req.request_type})  # fmt: skip
    if job is not None:
        return job  # the job moves the record on ns1, verifies it on ns2, completes
    if req.request_type == "change_contact" and req.subject_request_id is not None:
        _copy_contact(s, req, actor, client_ip)
    # Deactivation is handed to the retire job after commit.
    move(s, req, RequestState.COMPLETED, actor, "request:completed", client_ip)
    return None


def _copy_contact(s: Session, req: Request, actor: Actor, client_ip: str | None) -> None:
    """The live site's person responsible becomes the one the change request names."""
    assert req.subject_request_id is not None
    site = requests_repo.get_request(s, req.subject_request_id, lock=True)
    before = {f: getattr(site, f) for f in CONTACT_FIELDS}
    for f in CONTACT_FIELDS:
        setattr(site, f, getattr(req, f))
    audit_repo.record_event(
        s,
        actor=actor.username,
        action="site:contact_changed",
        request_id=site.id,
        client_ip=client_ip,
        before=before,
        after={f: getattr(site, f) for f in CONTACT_FIELDS},
    )
