"""Public answers: name availability, whether a subdomain is live, and whether a letter's
verification code is one provisioner issued."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import path_params  # noqa: F401 - registers the `anything` convertor
from api.deps import AvailabilityDep, LettersDep, StatusDep
from api.presenters import availability_out, liveness_out, status_out
from api.schemas.public import (
    AvailabilityOut,
    LetterVerificationOut,
    LivenessCheckOut,
    StatusOut,
)
from provisioner.domain.errors import NotFound
from provisioner.workflow.letters import LetterVerification
from provisioner.workflow.requests.availability import AvailabilityService

router = APIRouter(prefix="/api/v1", tags=["public"])


NAMING_422: dict[int | str, dict[str, Any]] = {
    422: {"description": "The label breaks the naming rules: each reason, and up to five "
                         "valid free alternatives in `suggestions`"}
}  # fmt: skip


@router.get("/names/availability", response_model=AvailabilityOut, responses=NAMING_422)
def availability_query(
    availability: AvailabilityDep, label: str = "", agency: str | None = None
) -> AvailabilityOut | JSONResponse:
    """The same answer as `/names/{label}/availability`, for a label given as a query
    parameter (any characters, the empty label included, reach the naming rules)."""
    return _availability(availability, label, agency, where="query")


# `:anything` so that a label holding "/", a line break or nothing at all still reaches
# the naming rules and gets their reason, instead of matching no route.
@router.get("/names/{label:anything}/availability", response_model=AvailabilityOut,
            responses=NAMING_422)
def availability(
    label: str, availability: AvailabilityDep, agency: str | None = None
) -> AvailabilityOut | JSONResponse:
    """Naming rules + registry + every authoritative name server, with suggestions. A label
    that breaks the rules is a 422 naming the field and each reason; a valid label that is
    taken is a 200 with `available: false`."""
    return _availability(availability, label, agency, where="path")


def _availability(
    availability: AvailabilityService, label: str, agency: str | None, *, where: str
) -> AvailabilityOut | JSONResponse:
    v = availability.check(label, agency=agency)
    if not v.valid:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": [where, "label"], "msg": reason, "type": "value_error"}
                    for reason in v.reasons
                ],
                "label": v.label,
                "suggestions": v.suggestions,
            },
        )
    return availability_out(v)


STATUS_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not a requested or live subdomain in the registry (infrastructure "
                         "and dev names included)"},
    422: {"description": "Not a valid name inside a managed zone, with the reason"},
}  # fmt: skip


# History first: `{fqdn:anything}` (so a name with "/" still gets the naming reason) would
# otherwise take ".../history" as part of the name.
@router.get("/status/{fqdn:anything}/history", response_model=list[LivenessCheckOut],
            responses=STATUS_ERRORS)
def site_status_history(
    fqdn: str, status: StatusDep, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> list[LivenessCheckOut]:
    """The scheduler's periodic liveness checks of this subdomain, newest first."""
    return [liveness_out(row) for row in status.history(fqdn, limit=limit)]


@router.get("/status/{fqdn:anything}", response_model=StatusOut, responses=STATUS_ERRORS)
def site_status(fqdn: str, status: StatusDep) -> StatusOut:
    """Is this subdomain live: resolves on every authoritative name server, HTTP answers;
    with the TLS certificate's expiry when it has one. Only names in the registry are
    answered; one not live yet says so without its request's details."""
    return status_out(status.status(fqdn))


@router.get("/verify/{code}", response_model=LetterVerificationOut,
            responses={404: {"description": "No issued letter has this code"}})
def verify_letter_code(code: str, letters: LettersDep) -> LetterVerificationOut:
    """The letter with this verification code (printed under the QR code), whether a
    subdomain request's or an SOP request's: number, kind, issue date, the OPD, and what
    was recomputed (the code from the stored content, the stored PDF's hash)."""
    result = letters.verify(code[:64])
    if not result.found:
        raise NotFound(f"Kode {code[:64]} tidak dikenal / Unknown code {code[:64]}")
    return verification_out(result)


def verification_out(v: LetterVerification) -> LetterVerificationOut:
    return LetterVerificationOut(
        code=v.code, number=v.number, kind=v.kind, kind_name=v.kind_name, source=v.source,
        issued_at=v.issued_at, opd=v.opd, addressee=v.agency, fqdn=v.fqdn, sha256=v.sha256,
        code_ok=v.code_ok, file_ok=v.file_ok,
        signature_ok=v.signature_ok if v.signed else None, valid=v.valid,
        replaces=v.replaces, replaced_by=v.replaced_by,
    )  # fmt: skip
