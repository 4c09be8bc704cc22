"""The existing-site use cases around the web host (fakes of the reader, migrator and
home-page probe; a real SQLite store): a migration after which the site answers otherwise
is taken back at once; one whose connection broke stays "migrating" until the way back
reads the host and settles it; registration refuses names held and other roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from provisioner.domain.actors import Actor, Role
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import Conflict, Forbidden, ServerUnreachable, StepFailed
from provisioner.domain.vhost_discovery import VhostFile, VhostSnapshot
from provisioner.domain.vhost_migration import ManagedShape, MigrationPlan
from provisioner.store.db import Store, migrate
from provisioner.store.models.audit import Event
from provisioner.store.models.dns import DnsRecord
from provisioner.workflow.hosting.existing_sites import ExistingSites
from provisioner.workflow.hosting.site_migration import SiteMigrations

ZONE = "demokab.go.id"
FQDN = f"arsip.{ZONE}"
NET = Actor("net", Role.NETWORK)
HOST = InventoryHost(name="web-prod", address="127.0.2.12", groups=("webservers",))
HAND = (
    f"# dibuat tangan\n<VirtualHost *:80>\n ServerName {FQDN}\n"
    " DocumentRoot /var/www/arsip\n</VirtualHost>\n"
)
MANAGED = (
    f"# Managed by provisioner for {FQDN}\n<VirtualHost *:80>\n ServerName {FQDN}\n</VirtualHost>\n"
)


@dataclass
class FakeHost:
    """web-prod as the reader sees it: the hand-made vhost, or the managed one."""

    managed: bool = False
    calls: list[str] = field(default_factory=list)

    def read(self, host: InventoryHost) -> VhostSnapshot:
        name = f"{FQDN}.conf" if self.managed else "arsip.conf"
        text = MANAGED if self.managed else HAND
        entry = f"/etc/apache2/sites-enabled/{name}:2"
        summary = f"*:80 is a NameVirtualHost\n   port 80 namevhost {FQDN} ({entry})\n"
        file = VhostFile(f"/etc/apache2/sites-enabled/{name}",
                         f"/etc/apache2/sites-available/{name}", f"../sites-available/{name}",
                         text.encode())  # fmt: skip
        return VhostSnapshot(host.name, summary, (file,))


@dataclass
class Done:
    release: str


@dataclass
class FakeMigrator:
    host: FakeHost
    fail: Exception | None = None
    applied: bool = True  # a lost connection: whether the script got through anyway

    def migrate(self, host: InventoryHost, plan: MigrationPlan, modules: tuple[str, ...]) -> Done:
        self.host.calls.append("migrate")
        if self.fail is not None:
            self.host.managed = self.applied and isinstance(self.fail, ServerUnreachable)
            raise self.fail
        self.host.managed = True
        return Done("/var/www/x/releases/1-migrated")

    def migrate_back(self, host: InventoryHost, plan: MigrationPlan, original: bytes) -> None:
        self.host.calls.append("back")
        assert original == HAND.encode()
        self.host.managed = False


class Shapes:
    def vhost(self, shape: ManagedShape) -> str:
        return MANAGED

    def pool(self, shape: ManagedShape) -> str:
        return ""

    def modules(self, shape: ManagedShape) -> tuple[str, ...]:
        return ()


@dataclass
class Answer:
    status: int | None
    error: str | None = None


@dataclass
class Probe:
    host: FakeHost
    after: int = 200

    def home(self, address: str, fqdn: str, *, timeout: float) -> Answer:
        return Answer(self.after if self.host.managed else 200)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'sites.db'}"
    migrate(url)
    return Store(url)


def services(store: Store, host: FakeHost, **kw: object) -> tuple[ExistingSites, SiteMigrations]:
    sites = ExistingSites(store, host, lambda: [HOST], zones=(ZONE,))
    migrator = FakeMigrator(host, **kw)  # type: ignore[arg-type]
    return sites, SiteMigrations(store, sites, host, Shapes(), migrator, Probe(host))


def actions(store: Store) -> list[str]:
    with store.read() as s:
        return [e.action for e in s.query(Event).order_by(Event.id)]


def test_a_site_that_answers_otherwise_after_the_move_is_taken_back(store: Store) -> None:
    host = FakeHost()
    sites, migrations = services(store, host)
    migrations.probe = Probe(host, after=403)  # type: ignore[misc]
    sites.register("web-prod", FQDN, "Dinas Arsip", NET)
    plan = migrations.plan(FQDN, NET)
    with pytest.raises(StepFailed, match="403 after the migration, 200 before"):
        migrations.migrate(FQDN, plan.checksum, NET)
    assert host.calls == ["migrate", "back"] and not host.managed
    assert sites.site(FQDN).state == "hand-made"
    assert actions(store)[-2:] == ["site:migration-approved", "site:migration-failed"]


def test_a_lost_connection_leaves_migrating_until_the_way_back_settles_it(store: Store) -> None:
    host = FakeHost()
    sites, migrations = services(store, host, fail=ServerUnreachable("x", "web-prod", "gone"),
                                 applied=False)  # fmt: skip
    sites.register("web-prod", FQDN, "Dinas Arsip", NET)
    plan = migrations.plan(FQDN, NET)
    with pytest.raises(ServerUnreachable):
        migrations.migrate(FQDN, plan.checksum, NET)
    assert sites.site(FQDN).state == "migrating"
    with pytest.raises(Conflict):
        migrations.plan(FQDN, NET)  # not while it is unsettled
    back = migrations.plan_back(FQDN, NET)
    assert migrations.migrate_back(FQDN, back.checksum, NET).state == "hand-made"
    assert host.calls == ["migrate"]  # the host had taken it back: nothing to undo there
    assert actions(store)[-1] == "site:migration-settled"


def test_a_lost_connection_after_the_change_is_taken_back_by_the_way_back(store: Store) -> None:
    host = FakeHost()
    sites, migrations = services(store, host, fail=ServerUnreachable("x", "web-prod", "gone"))
    sites.register("web-prod", FQDN, "Dinas Arsip", NET)
    with pytest.raises(ServerUnreachable):
        migrations.migrate(FQDN, migrations.plan(FQDN, NET).checksum, NET)
    assert host.managed
    back = migrations.plan_back(FQDN, NET)
    assert migrations.migrate_back(FQDN, back.checksum, NET).state == "hand-made"
    assert host.calls == ["migrate", "back"] and actions(store)[-1] == "site:migrated-back"


def test_registration_refuses_a_held_name_a_managed_vhost_and_other_roles(store: Store) -> None:
    host = FakeHost()
    sites, _ = services(store, host)
    with pytest.raises(Forbidden):
        sites.register("web-prod", FQDN, "Dinas Arsip", Actor("opd", Role.OPD, "Dinas Arsip"))
    sites.register("web-prod", FQDN, "Dinas Arsip", NET)
    with pytest.raises(Conflict, match="registered for Dinas Arsip already"):
        sites.register("web-prod", FQDN, "Dinas Lain", NET)
    assert [v.fqdn for v in sites.listing(Actor("o", Role.OPD, "Dinas Arsip"))] == [FQDN]
    assert sites.listing(Actor("p", Role.OPD, "Dinas Lain")) == []
    host.managed = True
    other = ExistingSites(store, host, lambda: [HOST], zones=(ZONE,))
    assert [d.verdict for d in other.drift(NET)] == ["moved"]


def test_a_name_whose_record_was_adopted_for_another_owner_is_not_registered(
    store: Store,
) -> None:
    sites, _ = services(store, FakeHost())
    with store.session() as s:
        s.add(DnsRecord(zone=ZONE, name=FQDN, rtype="A", value="127.0.2.12", ttl=300,
                        origin="adopted", owner="infrastructure"))  # fmt: skip
    with pytest.raises(Conflict, match="was adopted for infrastructure"):
        sites.register("web-prod", FQDN, "Dinas Arsip", NET)
    with store.session() as s:
        s.query(DnsRecord).update({"owner": "Dinas Arsip"})
    assert sites.register("web-prod", FQDN, "Dinas Arsip", NET).agency == "Dinas Arsip"
