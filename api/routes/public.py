"""Public answers: name availability and whether a subdomain is live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.schemas import AvailabilityOut, LivenessCheckOut, StatusOut

router = APIRouter(prefix="/api/v1", tags=["public"])


@router.get(
    "/names/{label}/availability",
    response_model=AvailabilityOut,
    responses={422: {"description": "The label breaks the naming rules: each reason, and "
                                    "up to five valid free alternatives in `suggestions`"}},
)
def availability(
    label: str, services: ServicesDep, agency: str | None = None
) -> AvailabilityOut | JSONResponse:
    """Naming rules + registry + every authoritative name server, with suggestions. A label
    that breaks the rules is a 422 naming the field and each reason; a valid label that is
    taken is a 200 with `available: false`."""
    v = services.availability.check(label, agency=agency)
    if not v.valid:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": ["path", "label"], "msg": reason, "type": "value_error"}
                    for reason in v.reasons
                ],
                "label": v.label,
                "suggestions": v.suggestions,
            },
        )
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
