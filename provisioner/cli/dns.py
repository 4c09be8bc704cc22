"""`provisioner dns drift|repair` — drift of the managed zones and its approved repair."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from provisioner.config import get_settings

dns_app = typer.Typer(help="DNS: drift against the ownership registry, and repair.")
console = Console()


def _service():  # type: ignore[no-untyped-def,unused-ignore]
    from provisioner.store.db import Store, migrate
    from provisioner.workflow.monitoring.drift import DriftService

    settings = get_settings()
    migrate(settings.store_url)
    return DriftService.from_settings(settings, Store(settings.store_url))


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
) -> None:
    """Apply a zone's repair plan, if it is still the one shown (network team)."""
    from provisioner.domain.actors import Actor, Role

    actor = Actor(user or "cli-network", Role.NETWORK)
    for line in _service().repair(zone, checksum, actor):
        console.print(line)
