"""Public answers: name availability and whether a subdomain is live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.schemas import AvailabilityOut, LivenessCheckOut, StatusOut

router = APIRouter(prefix="/api/v1", tags=["public"])


@router.get("/names/{label}/availability", response_model=AvailabilityOut)
def availability(label: str, services: ServicesDep, agency: str | None = None) -> AvailabilityOut:
    """Naming rules + registry + every authoritative name server, with suggestions."""
    v = services.availability.check(label, agency=agency)
    return AvailabilityOut(
        label=v.label,
        fqdn=v.fqdn,
        valid=v.valid,
        available=v.available,
        reasons=v.reasons,
        nameservers=v.nameservers,
        suggestions=v.suggestions,
    )


@router.get("/status/{fqdn}", response_model=StatusOut)
def site_status(fqdn: str, services: ServicesDep) -> StatusOut:
    """Is this subdomain live: resolves on every authoritative name server, HTTP answers;
    with the TLS certificate's expiry when it has one."""
    s = services.status.status(fqdn)
    return StatusOut(
        fqdn=s.fqdn,
        live=s.live,
        nameservers=s.nameservers,
        http=s.http,
        request=s.request,
        checked_at=s.checked_at,
        tls=s.tls,
    )


@router.get("/status/{fqdn}/history", response_model=list[LivenessCheckOut])
def site_status_history(
    fqdn: str, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> list[LivenessCheckOut]:
    """The scheduler's periodic liveness checks of this subdomain, newest first."""
    return [LivenessCheckOut(**row) for row in services.status.history(fqdn, limit=limit)]
