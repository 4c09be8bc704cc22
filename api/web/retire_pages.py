"""Retiring a site from its request's page: anyone who may see the request proposes it
(the plan: DNS records deleted, database dumped then dropped, sites removed), the network
team approves that plan — both asked for confirmation — or rejects it with a reason.
Routes call the workflow only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import RetirementsDep
from api.errors import error_page
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, translate
from api.web.session_bridge import CsrfProtect, SignedIn
from provisioner.domain.actors import Actor
from provisioner.domain.errors import ProvisionerError

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])


def _ask(request: Request, actor: Actor, key: str, request_id: int,
         fields: dict[str, str]) -> Response:  # fmt: skip
    lang = language(request)
    return confirm_page(
        request, actor,
        question=translate(f"confirm.q.{key}_plain", lang),
        button=translate(f"confirm.do.{key}", lang), fields=fields,
        back=f"/requests/{request_id}", danger=True,
    )  # fmt: skip


@router.post("/requests/{request_id}/retire")
def propose_retirement(
    request: Request,
    request_id: int,
    retirements: RetirementsDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Ask for the site's retirement: the plan goes to the network team."""
    if not is_confirmed(confirmed):
        return _ask(request, actor, "retire", request_id, {"reason": reason})
    try:
        retirements.propose(request_id, actor, reason)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{request_id}", "retire_proposed"),
                            status_code=303)


@router.post("/requests/{request_id}/retire/approve")
def approve_retirement(
    request: Request,
    request_id: int,
    retirements: RetirementsDep,
    actor: SignedIn,
    checksum: Annotated[str, Form(max_length=64)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Approve the retirement plan that was shown (its checksum): the retire job runs."""
    if not is_confirmed(confirmed):
        return _ask(request, actor, "retire_approve", request_id, {"checksum": checksum})
    try:
        job = retirements.approve(request_id, actor, checksum=checksum or None)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{request_id}", "retire_approved", job=job.id),
                            status_code=303)


@router.post("/requests/{request_id}/retire/reject")
def reject_retirement(
    request: Request,
    request_id: int,
    retirements: RetirementsDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Keep the site: the plan is rejected with a reason."""
    try:
        retirements.reject(request_id, actor, reason)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/requests/{request_id}", "retire_rejected"),
                            status_code=303)
