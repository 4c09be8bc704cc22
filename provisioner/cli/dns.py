"""`provisioner dns drift|repair|adopt` — drift of the managed zones and its approved repair;
the adoption of the records the zones held before provisioner."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from provisioner.config import get_settings

if TYPE_CHECKING:
    from provisioner.domain.actors import Actor
    from provisioner.workflow.dns_adoption.service import DnsAdoption
    from provisioner.workflow.monitoring.drift import DriftService

dns_app = typer.Typer(
    help="DNS: drift against the ownership registry, repair, and adoption of existing records."
)
console = Console()


def _service() -> DriftService:
    from provisioner.bootstrap.container import build_drift_service, open_store

    settings = get_settings()
    return build_drift_service(settings, open_store(settings))


@dns_app.command("drift")
def drift(zone: Annotated[str | None, typer.Option(help="one zone only")] = None) -> None:
    """Show missing, changed and dangling records and the repair plan (exit 1 if drift)."""
    reports = _service().detect(zone)
    console.print_json(json.dumps([r.to_dict() for r in reports]))
    if any(r.items for r in reports):
        raise typer.Exit(1)


@dns_app.command("repair")
def repair(
    zone: Annotated[str, typer.Option(help="the zone to repair")],
    checksum: Annotated[str, typer.Option(help="checksum of the plan `dns drift` showed")],
    user: Annotated[str, typer.Option(help="network-team user approving")] = "",
    force: Annotated[
        bool, typer.Option(help="apply even a repair over the change limit (reviewed first)")
    ] = False,
) -> None:
    """Apply a zone's repair plan, if it is still the one shown (network team); a repair
    of more records than `dns_repair_max_changes` needs --force."""
    from provisioner.domain.actors import Actor, Role

    actor = Actor(user or "cli-network", Role.NETWORK)
    for line in _service().repair(zone, checksum, actor, force=force):
        console.print(line)


def _adoption() -> DnsAdoption:
    from provisioner.bootstrap.container import build_dns_adoption, open_store

    settings = get_settings()
    return build_dns_adoption(settings, open_store(settings))


def _network(user: str) -> Actor:
    from provisioner.domain.actors import Actor, Role

    return Actor(user or "cli-network", Role.NETWORK)


@dns_app.command("adopt")
def adopt(
    zone: Annotated[str | None, typer.Option(help="the zone (listing: every zone)")] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="a name whose records to adopt (repeat)")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="every adoptable record of --zone")] = False,
    agency: Annotated[str | None, typer.Option(help="assign the records to this agency")] = None,
    infrastructure: Annotated[
        bool, typer.Option(help="mark the records infrastructure: never touched again")
    ] = False,
    checksum: Annotated[
        str | None, typer.Option(help="approve the plan with this checksum, without asking")
    ] = None,
    user: Annotated[str, typer.Option(help="network-team user adopting")] = "",
) -> None:
    """Without --name or --all: list the records nobody owns (JSON). With them: show the
    adoption plan, then adopt it once confirmed (or when --checksum is the plan's).
    Nothing is written to the zone."""
    from provisioner.domain.dns_adoption import AdoptionWish
    from provisioner.domain.errors import ProvisionerError

    service, actor = _adoption(), _network(user)
    try:
        if not name and not every:
            listing = service.foreign(actor, zone)
            console.print_json(json.dumps([z.to_dict() for z in listing]))
            return
        if zone is None or infrastructure == bool(agency):
            console.print("[red]--zone and exactly one of --agency or --infrastructure[/]")
            raise typer.Exit(2)
        assign = "infrastructure" if infrastructure else "agency"
        if every:
            review = service.review_all(actor, zone, assign=assign, agency=agency)
        else:
            wanted = {n.strip().lower().removesuffix(".") for n in name or []}
            found = [r for z in service.foreign(actor, zone) for r in z.foreign
                     if r.name in wanted and r.adoptable]  # fmt: skip
            wishes = [AdoptionWish(r.name, r.rtype, r.value, assign, agency) for r in found]
            review = service.review(actor, zone, wishes)
        for line in review.summary:
            console.print(line)
        console.print(f"checksum {review.checksum}")
        if checksum is None and not typer.confirm(f"Adopt {len(review.items)} record(s)?"):
            raise typer.Exit(1)
        wishes = [
            AdoptionWish(i["name"], i["rtype"], i["value"], assign, agency) for i in review.items
        ]
        done = service.adopt(actor, zone, wishes, checksum or review.checksum)
    except ProvisionerError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    console.print(f"{len(done.adopted)} adopted in {done.zone} (serial {done.serial} unchanged)")
