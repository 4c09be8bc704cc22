"""What the existing-site use cases need from the web servers, as protocols; the
composition root hands in the adapters that fill them (provisioner/bootstrap/container.py)."""

from __future__ import annotations

from typing import Protocol

from provisioner.domain.doctor import InventoryHost
from provisioner.domain.vhost_discovery import VhostSnapshot
from provisioner.domain.vhost_migration import ManagedShape, MigrationPlan


class VhostReads(Protocol):
    """`apache2ctl -S` and the files it names, read-only (adapters.vhost_reader)."""

    def read(self, host: InventoryHost) -> VhostSnapshot: ...


class ManagedShapes(Protocol):
    """The vhost role's own templates rendered for a site (adapters.vhost_templates)."""

    def vhost(self, shape: ManagedShape) -> str: ...

    def pool(self, shape: ManagedShape) -> str: ...

    def modules(self, shape: ManagedShape) -> tuple[str, ...]: ...


class MigrationDone(Protocol):
    @property
    def release(self) -> str: ...


class VhostMigrations(Protocol):
    """Applies a migration plan and its way back on a web host (adapters.vhost_migration)."""

    def migrate(
        self, host: InventoryHost, plan: MigrationPlan, modules: tuple[str, ...]
    ) -> MigrationDone: ...

    def migrate_back(self, host: InventoryHost, plan: MigrationPlan, original: bytes) -> None: ...


class HomeAnswer(Protocol):
    @property
    def status(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...


class HomeProbe(Protocol):
    """GET / of a web host with a site's Host header (adapters.web_probe.WebProbe)."""

    def home(self, address: str, fqdn: str, *, timeout: float) -> HomeAnswer: ...


class WebHosts(Protocol):
    """The inventory's web servers (adapters.inventory.read_inventory, group webservers)."""

    def __call__(self) -> list[InventoryHost]: ...
