"""The one guarded path every DNS change takes: the provisioning step, undo, retire and
drift repair all go through `DnsChanges.apply`.

Before anything is sent: the plan passes `guard_plan` with ownership read from the
registry (provisioner.store.models.dns), and every update/delete must concern a record
whose registry value is the one the plan expects. The changes then go to the zone's
primary in one RFC 2136 message (all or nothing), retried with back-off while the
primary does not answer, the registry is written in the same breath, and every
authoritative server is polled until it shows the result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from provisioner.adapters.dns.zones import DnsZones
from provisioner.domain.dns_adoption import INFRASTRUCTURE
from provisioner.domain.dns_plan import DnsPlan, RecordChange, guard_plan
from provisioner.domain.errors import Conflict, ServerUnreachable, UnsafeChange
from provisioner.store.db import Store
from provisioner.store.repositories import dns as dns_repo

log = logging.getLogger(__name__)
Log = Callable[[str], None]
# The step name a record that does not show on every name server is reported under.
VERIFY_STEP = "dns-verify"


class DnsChanges:
    """Guarded, recorded, verified DNS changes over every configured zone."""

    def __init__(
        self,
        zones: DnsZones,
        store: Store,
        *,
        verify_timeout: float,
        retry_timeout: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.zones = zones
        self.store = store
        self.verify_timeout = verify_timeout
        self.retry_timeout = retry_timeout
        self._sleep = sleep

    # --- guard -----------------------------------------------------------------------

    def check(self, plan: DnsPlan, *, request_id: int | None, repair: bool = False) -> set[str]:
        """Raise UnsafeChange/Conflict unless every change is allowed; return the names
        whose creates need the whole name absent (provisioner owns nothing there yet).
        Nothing at a name with an adopted infrastructure record (ProtectedRecord).

        update: we own the record and last wrote `previous` (with `repair`: we last wrote
        `value`, and the plan restores it over what someone else put there, guarded by a
        prerequisite on what they put). delete: we own it and last wrote `value`. create:
        nobody owns it, or we do with this very value (a retried job).
        """
        self.zones.for_zone(plan.zone)  # the zone must be one we manage
        with self.store.read() as s:
            rows: dict[tuple[str, str], Any] = {
                (c.name, c.rtype): dns_repo.owned_record(s, c.name, c.rtype) for c in plan.changes
            }
            owned_names = {c.name for c in plan.changes if dns_repo.owned_at(s, c.name)}
            infrastructure = {
                c.name
                for c in plan.changes
                if any(r.owner == INFRASTRUCTURE for r in dns_repo.owned_at(s, c.name))
            }
        guard_plan(
            plan,
            owned=lambda name, rtype: rows.get((name, rtype)) is not None,
            protected=infrastructure.__contains__,
        )
        for change in plan.changes:
            row = rows[(change.name, change.rtype)]
            if change.action == "create":
                other_request = (
                    request_id is not None
                    and row is not None
                    and (row.request_id not in (None, request_id))
                )
                if row is not None and (row.value != change.value or other_request):
                    raise Conflict(
                        f"{change.name} ({change.rtype}) sudah tercatat milik permohonan lain "
                        f"atau bernilai {row.value} / {change.name} ({change.rtype}) is already "
                        f"owned by another request or holds {row.value}"
                    )
                continue
            assert row is not None  # guard_plan refused unowned updates and deletes
            if change.action == "update":
                expected = change.value if repair else change.previous
            else:
                expected = change.value
            if row.value != expected:
                raise Conflict(
                    f"Provisioner terakhir menulis {row.value} di {change.name} ({change.rtype}), "
                    f"bukan {expected}; buat rencana baru / provisioner last wrote {row.value} "
                    f"at {change.name} ({change.rtype}), not {expected}; make a new plan"
                )
        return {c.name for c in plan.changes if c.action == "create"} - owned_names

    # --- apply -----------------------------------------------------------------------

    def apply(
        self,
        plan: DnsPlan,
        *,
        request_id: int | None,
        log_line: Log = lambda _line: None,
        repair: bool = False,
        verify: bool = True,
    ) -> dict[str, dict[str, str]]:
        """Check, send (all or nothing, retrying an unreachable primary with back-off),
        record in the registry, then verify on every name server. Returns
        {name: {ns: "serial N, T ms"}}; raises StepFailed naming the server that failed."""
        exclusive = self.check(plan, request_id=request_id, repair=repair)
        if not plan.changes:
            return {}
        adapter = self.zones.for_zone(plan.zone)
        for change in plan.changes:
            log_line(f"dns: {change.summary()}")
        self._send_with_backoff(
            lambda: adapter.apply_all(plan.changes, exclusive=exclusive),
            log_line,
            self.zones.primary_label(plan.zone),
        )
        self.record(plan, request_id)
        if not verify:
            return {}
        seen: dict[str, dict[str, str]] = {}
        for change in plan.changes:
            seen[change.name] = self.visible(plan.zone, change, self.verify_timeout)
            servers = ", ".join(sorted(seen[change.name]))
            log_line(f"dns: {change.name} visible on {servers}")
        return seen

    def visible(self, zone: str, change: RecordChange, timeout: float) -> dict[str, str]:
        """{ns: "serial N, T ms"} once every name server of `zone` shows `change`;
        StepFailed(dns-verify, <lagging ns>) after `timeout`."""
        adapter = self.zones.for_zone(zone)
        return adapter.wait_until_visible(change, timeout=timeout, step=VERIFY_STEP)

    def record(self, plan: DnsPlan, request_id: int | None) -> None:
        """Write the plan's effect into the registry (idempotent)."""
        with self.store.session() as s:
            for change in plan.changes:
                dns_repo.record_applied(s, plan.zone, change, request_id)

    def _send_with_backoff(self, send: Callable[[], None], log_line: Log, primary: str) -> None:
        """Retry while the primary does not answer: 0.5 s, 1 s, 2 s, … until
        `retry_timeout`, then let its ServerUnreachable (naming it) through."""
        deadline = time.monotonic() + self.retry_timeout
        delay = 0.5
        attempt = 1
        while True:
            try:
                send()
                return
            except ServerUnreachable as exc:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    reason = (
                        f"{exc.reason}; {attempt} percobaan dalam {self.retry_timeout:g} s, "
                        f"tidak ada yang diubah / {attempt} attempts in {self.retry_timeout:g} s, "
                        "nothing was changed"
                    )
                    log_line(f"dns: {primary}: {reason}")
                    raise ServerUnreachable("dns", primary, reason) from None
                wait = min(delay, remaining)
                log_line(
                    f"dns: percobaan {attempt}: {primary} tidak menjawab, coba lagi dalam "
                    f"{wait:.1f} s / attempt {attempt}: {primary} not answering, retrying "
                    f"in {wait:.1f} s"
                )
                self._sleep(wait)
                delay *= 2
                attempt += 1

    # --- removal (undo, retire) ------------------------------------------------------

    def removal_plans(self, request_id: int) -> list[DnsPlan]:
        """Delete plans (one per zone) for every active record a request owns, each with
        the value provisioner last wrote as its prerequisite."""
        with self.store.read() as s:
            rows = list(dns_repo.records_of_request(s, request_id))
        by_zone: dict[str, list[RecordChange]] = {}
        for row in reversed(rows):
            by_zone.setdefault(row.zone, []).append(
                RecordChange("delete", row.name, row.rtype, row.ttl, row.value)  # type: ignore[arg-type]
            )
        return [DnsPlan(zone=zone, changes=tuple(changes)) for zone, changes in by_zone.items()]

    def remove_request_records(self, request_id: int, log_line: Log) -> list[str]:
        """Delete what a request owns, zone by zone; a record someone else changed is
        reported (and kept in the registry for drift), never overwritten. Returns the
        summaries of what was removed."""
        removed: list[str] = []
        for plan in self.removal_plans(request_id):
            try:
                self.apply(plan, request_id=request_id, log_line=log_line)
            except (Conflict, UnsafeChange) as exc:
                log_line(f"dns: {exc.message}")
                removed.extend(self._remove_one_by_one(plan, request_id, log_line))
                continue
            removed.extend(plan.summary())
        return removed

    def _remove_one_by_one(self, plan: DnsPlan, request_id: int, log_line: Log) -> list[str]:
        removed = []
        for change in plan.changes:
            single = DnsPlan(zone=plan.zone, changes=(change,))
            try:
                self.apply(single, request_id=request_id, log_line=log_line)
            except (Conflict, UnsafeChange) as exc:
                log_line(f"dns: {change.name} left as is: {exc.message}")
                continue
            removed.append(change.summary())
        return removed
