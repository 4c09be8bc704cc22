"""The network team's DNS drift page: per zone, every record of the registry compared
with what the primary serves and when it was compared, the differences, and the repair
plan with its button (asked for confirmation, applied only if still exactly the plan
shown). Routes call the workflow only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DriftDep
from api.errors import error_page
from api.web.confirm import confirm_page, is_confirmed
from api.web.i18n import language, translate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Forbidden, ProvisionerError
from provisioner.workflow.monitoring.drift import DriftService

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])


@router.get("/drift", response_class=HTMLResponse)
def dns_drift(
    request: Request, drift: DriftDep, actor: SignedIn, repaired: str | None = None
) -> Response:
    """What changed in the zone behind provisioner's back (the DriftService), with
    the records compared, each zone's repair plan and the button that approves it."""
    return _drift_page(request, drift, actor)


def _drift_page(
    request: Request,
    drift: DriftService,
    actor: Actor,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        ensure_allowed(actor, Action.DECIDE)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    zones: list[dict[str, Any]]
    try:
        zones = [z.to_dict() for z in drift.detect()]
    except ProvisionerError as exc:
        zones, error = [], exc.message
    return render(request, "drift.html",
                  {"zones": zones, "error": error, "checked_at": datetime.now(UTC)},
                  actor=actor, csrf=page_csrf(request, actor), status_code=status_code)


@router.post("/drift/repair")
def repair_drift(
    request: Request,
    drift: DriftDep,
    actor: SignedIn,
    zone: Annotated[str, Form(max_length=253)],
    checksum: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Approve a zone's repair plan (network team), once confirmed: applied through the
    guarded DNS path only if it is still exactly the plan that was shown (its checksum)."""
    try:
        ensure_allowed(actor, Action.DECIDE)
        if not is_confirmed(confirmed):
            lang = language(request)
            return confirm_page(
                request, actor, question=translate("confirm.q.repair", lang, zone=zone),
                button=translate("confirm.do.repair", lang),
                fields={"zone": zone, "checksum": checksum}, back="/drift", danger=True,
            )  # fmt: skip
        drift.repair(zone, checksum, actor)
    except Forbidden as exc:
        return error_page(request, actor, exc)
    except ProvisionerError as exc:
        # The plan changed or a record moved meanwhile: show the fresh report and why.
        return _drift_page(request, drift, actor, error=exc.message, status_code=409)
    return RedirectResponse(f"/drift?repaired={quote(zone)}", status_code=303)
