"""Bringing a registered existing site under management, and the way back: the network team
is shown the plan (domain.vhost_migration) and approves exactly it (its checksum; the plan
is made again from the server just before and refused if it differs). What the way back
needs is stored before anything changes: the plan and the hand-made file's bytes. The web
host then does the change under its web lock, with `apache2ctl configtest` before the
reload and everything taken back on failure (adapters.vhost_migration); afterwards the
site's home page must answer as it did before, or the way back runs at once."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.doctor import InventoryHost
from provisioner.domain.errors import Conflict, ServerUnreachable, StepFailed, UnsafeChange
from provisioner.domain.site_names import PHP_VERSION
from provisioner.domain.vhost_discovery import DiscoveredVhost, VhostSnapshot, discover
from provisioner.domain.vhost_migration import (
    ManagedShape,
    MigrationPlan,
    RevertPlan,
    plan_migration,
)
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.existing_sites import ExistingSite
from provisioner.store.repositories import audit as audit_repo, existing_sites as existing_repo
from provisioner.workflow.hosting.existing_sites import (
    HAND_MADE,
    MANAGED,
    ExistingSites,
    ExistingSiteView,
    site_view,
)
from provisioner.workflow.hosting.site_ports import (
    HomeProbe,
    ManagedShapes,
    VhostMigrations,
    VhostReads,
)

MIGRATING = "migrating"  # the plan and the original are stored; the host is being changed
STEP_VERIFY = "vhost-migration-verify"


@dataclass(frozen=True)
class MigrationView:
    """A plan to approve: its lines, checksum and data form (with the files it writes)."""

    fqdn: str
    kind: str  # migrate | back
    summary: tuple[str, ...]
    checksum: str
    plan: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"fqdn": self.fqdn, "kind": self.kind, "summary": list(self.summary),
                "checksum": self.checksum, "plan": self.plan}  # fmt: skip


@dataclass(frozen=True)
class _Current:
    """The migration plan as the server is now, with what the way back needs."""

    host: InventoryHost
    plan: MigrationPlan
    original: bytes
    modules: tuple[str, ...]  # the Apache modules the managed vhost needs


def _answers_as_before(before: int | None, after: int | None) -> bool:
    """The home page answers after the move as it did before (a 403 or a 404 where a 200
    was is a broken site too); a site that did not answer before is not held to it."""
    return before is None or after == before


@dataclass
class SiteMigrations:
    """Plans, applies and takes back the migration of existing sites."""

    store: Store
    sites: ExistingSites
    reader: VhostReads
    shapes: ManagedShapes
    migrator: VhostMigrations
    probe: HomeProbe

    # --- the plan --------------------------------------------------------------------

    def _current(self, site: ExistingSiteView, extra: str) -> _Current:
        if site.state != HAND_MADE:
            raise Conflict(f"{site.fqdn} sudah dikelola provisioner / is managed already")
        host = self.sites.host(site.host)
        snapshot = self.reader.read(host)
        vhosts = discover(snapshot)
        vhost = next((v for v in vhosts if v.name.lower() == site.fqdn
                      and v.real_file == site.config_file and v.port == 80), None)  # fmt: skip
        if vhost is None or vhost.file_sha256 != site.config_sha256:
            raise Conflict(
                f"vhost {site.fqdn} tidak lagi seperti saat didaftarkan; periksa selisihnya dulu"
                f" / the vhost of {site.fqdn} is no longer as registered; review its drift first"
            )
        shape = ManagedShape.of(vhost, php_version=_php_version(vhost, snapshot), extra=extra)
        plan = plan_migration(
            vhost, shape=shape, vhost_text=self.shapes.vhost(shape),
            pool_text=self.shapes.pool(shape) if shape.php else None, others=vhosts,
        )  # fmt: skip
        source = snapshot.file(vhost.file)
        assert source is not None  # the vhost's sha256 came from it
        return _Current(host, plan, source.data, self.shapes.modules(shape))

    def plan(self, fqdn: str, actor: Actor, *, extra: str = "") -> MigrationView:
        """The migration plan of a registered hand-made site, made from its server now
        (`extra`: directives the team adds to the managed vhost)."""
        ensure_allowed(actor, Action.DECIDE)
        plan = self._current(self.sites.site(fqdn), extra).plan
        return MigrationView(plan.fqdn, "migrate", tuple(plan.summary()), plan.checksum(),
                             plan.to_dict())  # fmt: skip

    # --- migrating -------------------------------------------------------------------

    def migrate(
        self, fqdn: str, checksum: str, actor: Actor, *, extra: str = ""
    ) -> ExistingSiteView:
        """Apply the migration plan shown with `checksum` — only if it is still exactly
        that plan. StepFailed (the hand-made vhost serving again) when the host refuses it."""
        ensure_allowed(actor, Action.DECIDE)
        current = self._current(self.sites.site(fqdn), extra)
        plan = current.plan
        if plan.checksum() != checksum:
            raise UnsafeChange(
                "Rencana migrasi berubah sejak ditampilkan; periksa lagi / The migration plan "
                "changed since it was shown; review it again"
            )
        self._begin(plan, current.original, actor)
        before = self.probe.home(current.host.address, plan.fqdn, timeout=5.0)
        try:
            done = self.migrator.migrate(current.host, plan, current.modules)
        except ServerUnreachable:
            # The script may have run to its end (it ignores a lost connection): the site
            # stays "migrating" until the way back reads the host and settles it.
            raise
        except StepFailed as exc:  # the script took every step back itself
            self._end(plan, actor, action="site:migration-failed", reason=exc.message)
            raise
        after = self.probe.home(current.host.address, plan.fqdn, timeout=5.0)
        if not _answers_as_before(before.status, after.status):
            reason = (f"{plan.fqdn} menjawab {after.status or after.error} setelah migrasi, "
                      f"sebelumnya {before.status}; dikembalikan / answered "
                      f"{after.status or after.error} after the migration, {before.status} "
                      "before; taken back")  # fmt: skip
            self.migrator.migrate_back(current.host, plan, current.original)
            self._end(plan, actor, action="site:migration-failed", reason=reason)
            raise StepFailed(STEP_VERIFY, current.host.name, reason)
        return self._end(plan, actor, action="site:migrated", release=done.release)

    def _begin(self, plan: MigrationPlan, original: bytes, actor: Actor) -> None:
        """Register the way back before the host changes: the plan and the original bytes."""
        with self.store.session() as s:
            row = _locked(s, plan.fqdn)
            if row.state != HAND_MADE:
                raise Conflict(f"{plan.fqdn} sedang dimigrasi / is being migrated")
            row.state, row.migration = MIGRATING, plan.to_dict()
            row.migration_checksum = plan.checksum()
            row.original_b64 = base64.b64encode(original).decode()
            audit_repo.record_event(s, actor=actor.username, action="site:migration-approved",
                                    detail={"fqdn": plan.fqdn, "checksum": plan.checksum(),
                                            "plan": plan.summary()})  # fmt: skip

    def _end(
        self, plan: MigrationPlan, actor: Actor, *, action: str, release: str = "",
        reason: str = "",
    ) -> ExistingSiteView:  # fmt: skip
        with self.store.session() as s:
            row = _locked(s, plan.fqdn)
            if action == "site:migrated":
                row.state, row.release = MANAGED, release
                row.vhost_file, row.config_file = plan.vhost_link, plan.vhost_file
                row.config_sha256 = hashlib.sha256(plan.vhost_text.encode()).hexdigest()
                row.migrated_by, row.migrated_at = actor.username, utcnow()
            else:
                _back_to_hand_made(row, plan)
            detail: dict[str, Any] = {"fqdn": plan.fqdn, "checksum": plan.checksum()}
            detail.update({k: v for k, v in (("release", release), ("reason", reason)) if v})
            audit_repo.record_event(s, actor=actor.username, action=action, detail=detail)
            return site_view(row)

    # --- the way back ----------------------------------------------------------------

    def _stored(self, fqdn: str) -> tuple[ExistingSiteView, MigrationPlan, bytes]:
        site = self.sites.site(fqdn)
        with self.store.read() as s:
            row = existing_repo.active_site(s, site.fqdn)
            assert row is not None
            if row.state not in (MANAGED, MIGRATING) or not row.migration or not row.original_b64:
                raise Conflict(f"{site.fqdn} tidak dimigrasi / was not migrated")
            return site, MigrationPlan.from_dict(row.migration), base64.b64decode(row.original_b64)

    def plan_back(self, fqdn: str, actor: Actor) -> MigrationView:
        """The way back of a migrated site: what is restored and removed."""
        ensure_allowed(actor, Action.DECIDE)
        _, plan, _ = self._stored(fqdn)
        back = RevertPlan(plan)
        return MigrationView(plan.fqdn, "back", tuple(back.summary()), back.checksum(),
                             back.to_dict())  # fmt: skip

    def migrate_back(self, fqdn: str, checksum: str, actor: Actor) -> ExistingSiteView:
        """Restore the hand-made vhost byte for byte (the way back shown with `checksum`);
        StepFailed (the managed vhost stays) when the host refuses it."""
        ensure_allowed(actor, Action.DECIDE)
        site, plan, original = self._stored(fqdn)
        if RevertPlan(plan).checksum() != checksum:
            raise UnsafeChange("Rencana kembali berubah; periksa lagi / The way back changed "
                               "since it was shown; review it again")  # fmt: skip
        host = self.sites.host(site.host)
        if site.state == MIGRATING and not self._managed_on(host, plan.fqdn):
            # An interrupted migration the host took back (or never began): nothing to undo.
            action = "site:migration-settled"
        else:
            self.migrator.migrate_back(host, plan, original)
            action = "site:migrated-back"
        with self.store.session() as s:
            row = _locked(s, plan.fqdn)
            _back_to_hand_made(row, plan)
            audit_repo.record_event(s, actor=actor.username, action=action,
                                    detail={"fqdn": plan.fqdn, "file": plan.old_file,
                                            "sha256": plan.old_sha256})  # fmt: skip
            return site_view(row)

    def _managed_on(self, host: InventoryHost, fqdn: str) -> bool:
        """Whether `host` serves `fqdn` from provisioner's managed vhost now."""
        return any(v.managed_for == fqdn for v in self.sites.vhosts_of(host))


def _locked(session: Any, fqdn: str) -> ExistingSite:
    row = existing_repo.active_site(session, fqdn, lock=True)
    if row is None:
        raise Conflict(f"{fqdn} tidak terdaftar lagi / is no longer registered")
    return row


def _back_to_hand_made(row: ExistingSite, plan: MigrationPlan) -> None:
    row.state, row.release = HAND_MADE, None
    row.vhost_file, row.config_file = plan.old_link, plan.old_file
    row.config_sha256 = plan.old_sha256
    row.migration = row.migration_checksum = row.original_b64 = None
    row.migrated_by = row.migrated_at = None
    row.updated_at = utcnow()


def _php_version(vhost: DiscoveredVhost, snapshot: VhostSnapshot) -> str:
    """The PHP version the site's pool gets: the one its handler names, else the newest
    installed; a PHP site on a host without PHP-FPM cannot get a pool."""
    installed = sorted(snapshot.fpm_versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    named = vhost.php_version
    if named and (not installed or named in installed):
        return named
    if installed:
        return installed[-1]
    if vhost.php:
        raise UnsafeChange(f"{snapshot.host}: PHP-FPM tidak terpasang / PHP-FPM is not installed")
    return PHP_VERSION
