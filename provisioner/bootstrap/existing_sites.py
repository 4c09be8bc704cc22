"""The existing-site use cases with their adapters: the vhost read and the migration
scripts over the generated ssh_config (RemoteShell), the vhost role's own templates, the
inventory's web servers and the home-page probe."""

from __future__ import annotations

from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.remote_shell import RemoteShell
from provisioner.adapters.vhost_migration import VhostMigrator
from provisioner.adapters.vhost_reader import VhostReader
from provisioner.adapters.vhost_templates import ManagedTemplates
from provisioner.adapters.web_probe import WebProbe
from provisioner.bootstrap import configs
from provisioner.config import Settings
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.naming import NamingPolicy
from provisioner.store.db import Store
from provisioner.workflow.hosting.existing_sites import ExistingSites
from provisioner.workflow.hosting.site_migration import SiteMigrations

WEB_GROUP = "webservers"  # the inventory group of the web servers (as the doctor reads it)


def build_existing_sites(
    settings: Settings, store: Store, policy: NamingPolicy
) -> tuple[ExistingSites, SiteMigrations]:
    """Discovery and registration of existing sites, and their migration and way back."""
    shell = RemoteShell(configs.ssh_config(settings))
    reader = VhostReader(shell)

    def web_hosts() -> list[InventoryHost]:
        return [h for h in read_inventory(settings.inventory) if WEB_GROUP in h.groups]

    sites = ExistingSites(
        store, reader, web_hosts,
        zones=tuple(z.zone for z in configs.zone_configs(settings)), reserved=policy.reserved,
    )  # fmt: skip
    migrations = SiteMigrations(
        store, sites, reader, ManagedTemplates(settings.playbooks_dir / "roles" / "vhost"),
        VhostMigrator(shell), WebProbe(configs.ssh_config(settings)),
    )  # fmt: skip
    return sites, migrations
