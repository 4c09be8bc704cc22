"""DNS drift for the network team: what changed behind provisioner's back, and the repair
plan to approve (by its checksum)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentActor, ServicesDep, drift_service
from api.gates import requires
from provisioner.domain.actors import Action, ensure_allowed

router = APIRouter(prefix="/api/v1/dns", tags=["dns"])


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    zone: str = Field(max_length=253)
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")


@router.get("/drift", dependencies=[requires(Action.DECIDE)])
def drift(services: ServicesDep, actor: CurrentActor, zone: str | None = None) -> dict[str, Any]:
    """Per zone (AXFR with TSIG vs the ownership registry): missing, changed and dangling
    records, and the repair plan with its checksum (network team / admin)."""
    ensure_allowed(actor, Action.DECIDE)
    return {"zones": [report.to_dict() for report in drift_service(services).detect(zone)]}


@router.post("/drift/repair", dependencies=[requires(Action.DECIDE)])
def repair(body: RepairIn, services: ServicesDep, actor: CurrentActor) -> dict[str, Any]:
    """Apply a zone's repair plan — only if it is still the one shown (checksum)."""
    applied = drift_service(services).repair(body.zone, body.checksum, actor)
    return {"zone": body.zone, "applied": applied}
