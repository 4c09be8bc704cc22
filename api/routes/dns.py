"""DNS drift for the network team: what changed behind provisioner's back, and the repair
plan to approve (by its checksum)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentActor, DriftDep
from api.gates import requires
from api.schemas.dns import RepairIn
from provisioner.domain.actors import Action, ensure_allowed

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
