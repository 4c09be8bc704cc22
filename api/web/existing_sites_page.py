"""The network team's page for existing sites: the vhosts each web server serves (found over
SSH, read-only), a form per hand-made vhost whose name is free to register it for an
agency, the registered sites with their drift; and a site's migration under management or
its way back — the plan shown, then confirmed, carried out only if it is still exactly the
plan shown. Routes call the workflow only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ExistingSitesDep, SiteMigrationsDep
from api.errors import error_page
from api.schemas.existing_sites import EXTRA_MAX
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, translate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.errors import Forbidden, InvalidInput, ProvisionerError
from provisioner.workflow.hosting.existing_sites import ExistingSites

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

PAGE = "/existing-sites"


@router.get(PAGE, response_class=HTMLResponse)
def existing_sites(request: Request, sites: ExistingSitesDep, actor: SignedIn) -> Response:
    """Every web server's vhosts and the registered existing sites (network team)."""
    return _list_page(request, sites, actor)


@router.post(f"{PAGE}/register")
def register(
    request: Request,
    sites: ExistingSitesDep,
    actor: SignedIn,
    host: Annotated[str, Form(max_length=100)],
    fqdn: Annotated[str, Form(max_length=253)],
    agency: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Register the vhost `host` serves for `fqdn` as the agency's existing site."""
    try:
        done = sites.register(host, fqdn, agency, actor)
    except Forbidden as exc:
        return error_page(request, actor, exc)
    except InvalidInput as exc:
        return _list_page(request, sites, actor, error=exc.message, status_code=422)
    except ProvisionerError as exc:
        return _list_page(request, sites, actor, error=exc.message, status_code=409)
    return RedirectResponse(done_url(PAGE, "site_registered", name=done.fqdn), status_code=303)


@router.post(PAGE + "/{fqdn}/unregister")
def unregister(
    request: Request,
    sites: ExistingSitesDep,
    actor: SignedIn,
    fqdn: str,
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Take back a hand-made site's registration, once confirmed."""
    try:
        ensure_allowed(actor, Action.DECIDE)
        if not is_confirmed(confirmed):
            return _confirm(request, actor, "unregister", fqdn, {}, PAGE)
        sites.unregister(fqdn, actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(PAGE, "site_unregistered", name=fqdn), status_code=303)


@router.get(PAGE + "/{fqdn}/migration", response_class=HTMLResponse)
def migration_plan(
    request: Request,
    migrations: SiteMigrationsDep,
    actor: SignedIn,
    fqdn: str,
    extra: Annotated[str, Query(max_length=EXTRA_MAX)] = "",
) -> Response:
    """The migration plan to review (with the directives the team adds, if any)."""
    try:
        plan = migrations.plan(fqdn, actor, extra=extra)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return render(request, "sites_existing_plan.html", {"plan": plan, "extra": extra},
                  actor=actor, csrf=page_csrf(request, actor))  # fmt: skip


@router.post(PAGE + "/{fqdn}/migration")
def migrate(
    request: Request,
    migrations: SiteMigrationsDep,
    actor: SignedIn,
    fqdn: str,
    checksum: Annotated[str, Form(max_length=64)],
    extra: Annotated[str, Form(max_length=EXTRA_MAX)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Carry out the plan shown (checksum), once confirmed."""
    back = f"{PAGE}/{fqdn}/migration"
    try:
        ensure_allowed(actor, Action.DECIDE)
        if not is_confirmed(confirmed):
            return _confirm(request, actor, "migrate", fqdn,
                            {"checksum": checksum, "extra": extra}, back)  # fmt: skip
        migrations.migrate(fqdn, checksum, actor, extra=extra)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(PAGE, "site_migrated", name=fqdn), status_code=303)


@router.get(PAGE + "/{fqdn}/migration/back", response_class=HTMLResponse)
def migration_back_plan(
    request: Request, migrations: SiteMigrationsDep, actor: SignedIn, fqdn: str
) -> Response:
    """The way back to review: the hand-made vhost restored byte for byte."""
    try:
        plan = migrations.plan_back(fqdn, actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return render(request, "sites_existing_plan.html", {"plan": plan, "extra": ""},
                  actor=actor, csrf=page_csrf(request, actor))  # fmt: skip


@router.post(PAGE + "/{fqdn}/migration/back")
def migrate_back(
    request: Request,
    migrations: SiteMigrationsDep,
    actor: SignedIn,
    fqdn: str,
    checksum: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Carry out the way back shown (checksum), once confirmed."""
    back = f"{PAGE}/{fqdn}/migration/back"
    try:
        ensure_allowed(actor, Action.DECIDE)
        if not is_confirmed(confirmed):
            return _confirm(request, actor, "back", fqdn, {"checksum": checksum}, back)
        migrations.migrate_back(fqdn, checksum, actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(PAGE, "site_migrated_back", name=fqdn), status_code=303)


def _confirm(
    request: Request, actor: Actor, kind: str, fqdn: str, fields: dict[str, str], back: str
) -> Response:
    lang = language(request)
    return confirm_page(
        request, actor, question=translate(f"existing.confirm_q_{kind}", lang, fqdn=fqdn),
        button=translate(f"existing.confirm_{kind}", lang), fields=fields, back=back,
        danger=True,
    )  # fmt: skip


def _list_page(
    request: Request,
    sites: ExistingSites,
    actor: Actor,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        hosts = sites.discover(actor)
        registered = sites.listing(actor)
        drift = {d.fqdn: d for d in sites.drift(actor)}
    except Forbidden as exc:
        return error_page(request, actor, exc)
    return render(
        request,
        "sites_existing.html",
        {"hosts": hosts, "registered": registered, "drift": drift, "error": error},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )
