"""`provisioner sites discover|register|list|drift|accept-drift|plan|migrate|plan-back|
migrate-back` — the vhosts each web server already serves, registered as agencies'
existing sites, and a site's migration under management (and back), each approved by the
checksum of the plan that was shown (network team)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from provisioner.config import get_settings

if TYPE_CHECKING:
    from provisioner.domain.actors import Actor
    from provisioner.workflow.hosting.existing_sites import ExistingSites
    from provisioner.workflow.hosting.site_migration import MigrationView, SiteMigrations

sites_app = typer.Typer(
    help="Existing sites: vhosts found on the web servers, registered, migrated and back."
)
console = Console()
User = Annotated[str, typer.Option(help="network-team user acting")]
Extra = Annotated[str, typer.Option(help="directives added to the managed vhost")]


def _services() -> tuple[ExistingSites, SiteMigrations]:
    from provisioner.bootstrap.container import open_store
    from provisioner.bootstrap.existing_sites import build_existing_sites
    from provisioner.domain.naming import NamingPolicy

    settings = get_settings()
    return build_existing_sites(settings, open_store(settings), NamingPolicy())


def _network(user: str) -> Actor:
    from provisioner.domain.actors import Actor, Role

    return Actor(user or "cli-network", Role.NETWORK)


@sites_app.command("discover")
def discover(user: User = "", as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every web server's vhosts: names, port, document root, PHP or static, hand-made or
    managed, and whether the name can be registered (read-only)."""
    hosts = _services()[0].discover(_network(user))
    if as_json:
        console.print_json(json.dumps([h.to_dict() for h in hosts]))
        return
    for host in hosts:
        table = Table(title=f"{host.host} ({host.address})")
        for column in ("name", "port", "document root", "kind", "file", "standing"):
            table.add_column(column)
        for found in host.vhosts:
            v = found.vhost
            kind = f"{'PHP' if v.php else 'static'}, {'managed' if v.managed else 'hand-made'}"
            standing = str(found.match.kind) + (
                f" ({found.match.holder})" if found.match.holder else ""
            )
            table.add_row(v.name, str(v.port), v.document_root or "–", kind, v.file, standing)
        console.print(table)
        if host.error:
            console.print(f"[red]{host.error}[/]")


@sites_app.command("register")
def register(
    host: Annotated[str, typer.Option(help="the web server (inventory name)")],
    fqdn: Annotated[str, typer.Option(help="the vhost's name")],
    agency: Annotated[str, typer.Option(help="the agency the site belongs to")],
    user: User = "",
) -> None:
    """Register a hand-made vhost as an agency's existing site (monitored from now on;
    nothing is written to the server)."""
    site = _services()[0].register(host, fqdn, agency, _network(user))
    console.print(f"[green]{site.fqdn}[/] → {site.agency} ({site.host}, {site.config_file})")


@sites_app.command("list")
def listing(user: User = "") -> None:
    """The registered existing sites."""
    table = Table()
    for column in ("name", "agency", "host", "state", "file"):
        table.add_column(column)
    for site in _services()[0].listing(_network(user)):
        table.add_row(site.fqdn, site.agency, site.host, site.state, site.config_file)
    console.print(table)


@sites_app.command("drift")
def drift(user: User = "") -> None:
    """Each registered site's vhost file against the bytes it was registered with (exit 1
    when one differs)."""
    report = _services()[0].drift(_network(user))
    console.print_json(json.dumps([d.to_dict() for d in report]))
    if any(d.verdict != "same" for d in report):
        raise typer.Exit(1)


@sites_app.command("accept-drift")
def accept_drift(fqdn: str, user: User = "") -> None:
    """Take a hand-made site's vhost file as it is now as the registered one."""
    site = _services()[0].accept_drift(fqdn, _network(user))
    console.print(f"[green]{site.fqdn}[/] sha256 {site.config_sha256}")


@sites_app.command("unregister")
def unregister(fqdn: str, user: User = "") -> None:
    """Take back a hand-made site's registration (the server is not touched)."""
    site = _services()[0].unregister(fqdn, _network(user))
    console.print(f"[yellow]{site.fqdn}[/] ({site.agency}): no longer registered")


def _show(view: MigrationView) -> None:
    for line in view.summary:
        colour = {"+": "green", "-": "red", "~": "yellow", "!": "magenta"}.get(line[:1], "")
        console.print(f"[{colour}]{line}[/]" if colour else line, markup=bool(colour),
                      highlight=False)  # fmt: skip
    console.print(f"checksum {view.checksum}")


@sites_app.command("plan")
def plan(fqdn: str, user: User = "", extra: Extra = "") -> None:
    """The migration plan of a hand-made site, with the checksum that approves it."""
    _show(_services()[1].plan(fqdn, _network(user), extra=extra))


@sites_app.command("migrate")
def migrate(
    fqdn: str,
    checksum: Annotated[str, typer.Option(help="checksum of the plan `sites plan` showed")],
    user: User = "",
    extra: Extra = "",
) -> None:
    """Carry out the migration plan shown, if it is still exactly that plan."""
    site = _services()[1].migrate(fqdn, checksum, _network(user), extra=extra)
    console.print(f"[green]{site.fqdn}[/] {site.state} ({site.release})")


@sites_app.command("plan-back")
def plan_back(fqdn: str, user: User = "") -> None:
    """The way back of a migrated site, with the checksum that approves it."""
    _show(_services()[1].plan_back(fqdn, _network(user)))


@sites_app.command("migrate-back")
def migrate_back(
    fqdn: str,
    checksum: Annotated[str, typer.Option(help="checksum of the plan `sites plan-back` showed")],
    user: User = "",
) -> None:
    """Restore the hand-made vhost byte for byte (the way back shown)."""
    site = _services()[1].migrate_back(fqdn, checksum, _network(user))
    console.print(f"[green]{site.fqdn}[/] {site.state} ({site.config_file})")
