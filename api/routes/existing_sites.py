"""Existing sites for the network team: the vhosts each web server serves (discovered over
SSH, read-only), registering one as an agency's site (monitored at once, its vhost never
rewritten), the drift of registered sites, and a site's migration under management and
the way back — each a plan shown first and approved by its checksum (409 when the plan
changed since)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentActor, ExistingSitesDep, SiteMigrationsDep
from api.gates import requires
from api.schemas.existing_sites import EXTRA_MAX, MigrateBackIn, MigrateSiteIn, RegisterSiteIn
from provisioner.domain.actors import Action

router = APIRouter(prefix="/api/v1/sites/existing", tags=["existing sites"])
DECIDE = [requires(Action.DECIDE)]


@router.get("", dependencies=DECIDE)
def discover(sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Per web server (`apache2ctl -S` and the files it names): every vhost, its names,
    document root, PHP or static, hand-made or managed, and whether its name can be
    registered; a server that cannot be read says why."""
    return {"hosts": [h.to_dict() for h in sites.discover(actor)]}


@router.get("/registered", dependencies=[requires(Action.VIEW)])
def registered(sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Every registered existing site, by name."""
    return {"sites": [s.to_dict() for s in sites.listing(actor)]}


@router.post("", status_code=201, dependencies=DECIDE)
def register(body: RegisterSiteIn, sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Register the vhost `host` serves for `fqdn` as `agency`'s existing site (the server
    is read again; nothing is written to it). 422 names the field, 409 a name held."""
    return sites.register(body.host, body.fqdn, body.agency, actor).to_dict()


@router.delete("/{fqdn}", dependencies=DECIDE)
def unregister(fqdn: str, sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Take back a hand-made site's registration: off the status pages and monitoring, its
    name free again; the server is not touched (409 for a migrated site: take it back to
    its hand-made vhost first)."""
    return sites.unregister(fqdn, actor).to_dict()


@router.get("/drift", dependencies=DECIDE)
def drift(sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Each registered site's vhost file against the bytes it was registered (or migrated)
    with: same, changed, moved, gone or unreadable."""
    return {"sites": [d.to_dict() for d in sites.drift(actor)]}


@router.post("/{fqdn}/drift/accept", dependencies=DECIDE)
def accept_drift(fqdn: str, sites: ExistingSitesDep, actor: CurrentActor) -> dict[str, Any]:
    """Take a hand-made vhost's file as it is now as the registered one (its owner edited
    it on purpose): drift compares with these bytes from now on."""
    return sites.accept_drift(fqdn, actor).to_dict()


@router.get("/{fqdn}/migration", dependencies=DECIDE)
def migration_plan(
    fqdn: str,
    migrations: SiteMigrationsDep,
    actor: CurrentActor,
    extra: Annotated[str, Query(max_length=EXTRA_MAX)] = "",
) -> dict[str, Any]:
    """The plan that brings the hand-made site under management (own user, PHP-FPM pool,
    releases), made from its server now, with the checksum that approves it."""
    return migrations.plan(fqdn, actor, extra=extra).to_dict()


@router.post("/{fqdn}/migration", dependencies=DECIDE)
def migrate(
    fqdn: str, body: MigrateSiteIn, migrations: SiteMigrationsDep, actor: CurrentActor
) -> dict[str, Any]:
    """Carry out the migration plan shown with `checksum` — 409 if the plan is no longer
    that one; a failed test or reload takes everything back (the error says why)."""
    return migrations.migrate(fqdn, body.checksum, actor, extra=body.extra).to_dict()


@router.get("/{fqdn}/migration/back", dependencies=DECIDE)
def migration_back_plan(
    fqdn: str, migrations: SiteMigrationsDep, actor: CurrentActor
) -> dict[str, Any]:
    """The way back of a migrated site: the hand-made vhost restored byte for byte."""
    return migrations.plan_back(fqdn, actor).to_dict()


@router.post("/{fqdn}/migration/back", dependencies=DECIDE)
def migrate_back(
    fqdn: str, body: MigrateBackIn, migrations: SiteMigrationsDep, actor: CurrentActor
) -> dict[str, Any]:
    """Carry out the way back shown with `checksum` (409 if it changed since)."""
    return migrations.migrate_back(fqdn, body.checksum, actor).to_dict()
