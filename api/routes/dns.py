"""DNS for the network team: drift (what changed behind provisioner's back, and the repair
plan to approve by its checksum) and adoption (the records a zone held before provisioner,
reviewed as a plan and taken into the registry by its checksum; no zone is written)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentActor, DnsAdoptionDep, DriftDep
from api.gates import requires
from api.schemas.dns import AdoptIn, AdoptPlanIn, AdoptRecordIn, RepairIn
from provisioner.domain.actors import Action, ensure_allowed
from provisioner.domain.dns_adoption import AdoptionWish

router = APIRouter(prefix="/api/v1/dns", tags=["dns"])


@router.get("/drift", dependencies=[requires(Action.DECIDE)])
def drift(drift: DriftDep, actor: CurrentActor, zone: str | None = None) -> dict[str, Any]:
    """Per zone (AXFR with TSIG vs the ownership registry): missing, changed and dangling
    records, and the repair plan with its checksum (network team / admin)."""
    ensure_allowed(actor, Action.DECIDE)
    return {"zones": [report.to_dict() for report in drift.detect(zone)]}


@router.post("/drift/repair", dependencies=[requires(Action.DECIDE)])
def repair(body: RepairIn, drift: DriftDep, actor: CurrentActor) -> dict[str, Any]:
    """Apply a zone's repair plan — only if it is still the one shown (checksum)."""
    applied = drift.repair(body.zone, body.checksum, actor)
    return {"zone": body.zone, "applied": applied}


@router.get("/adoption", dependencies=[requires(Action.ADOPT_DNS)])
def adoption(
    adoption: DnsAdoptionDep,
    actor: CurrentActor,
    zone: Annotated[str | None, Query(max_length=253)] = None,
) -> dict[str, Any]:
    """Per zone (AXFR with TSIG vs the ownership registry): every record nobody owns —
    apex, name servers' glue and what lies below a delegation left out — whether it can be
    adopted (and why not), and which CNAMEs dangle (network team)."""
    return {"zones": [z.to_dict() for z in adoption.foreign(actor, zone)]}


@router.post("/adoption/plan", dependencies=[requires(Action.ADOPT_DNS)])
def adoption_plan(
    body: AdoptPlanIn, adoption: DnsAdoptionDep, actor: CurrentActor
) -> dict[str, Any]:
    """The review step: the plan that adopts these records as the zone stands now, with the
    checksum that approves it. Nothing is stored; 422 names each record's wrong field."""
    return adoption.review(actor, body.zone, _wishes(body.records)).to_dict()


@router.post("/adoption", dependencies=[requires(Action.ADOPT_DNS)])
def adopt(body: AdoptIn, adoption: DnsAdoptionDep, actor: CurrentActor) -> dict[str, Any]:
    """Adopt the records if their plan is still exactly the one reviewed (checksum; 409
    otherwise): they join the registry with their value now as the prerequisite base.
    Nothing is sent to any name server."""
    return adoption.adopt(actor, body.zone, _wishes(body.records), body.checksum).to_dict()


def _wishes(records: list[AdoptRecordIn]) -> list[AdoptionWish]:
    return [AdoptionWish(**record.model_dump()) for record in records]
