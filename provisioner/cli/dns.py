"""`provisioner dns drift|repair` — drift of the managed zones and its approved repair."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from provisioner.config import get_settings

if TYPE_CHECKING:
    from provisioner.workflow.monitoring.drift import DriftService

dns_app = typer.Typer(help="DNS: drift against the ownership registry, and repair.")
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
