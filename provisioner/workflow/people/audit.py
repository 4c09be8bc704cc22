"""The audit log for auditors: verify the hash chain, list and export entries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.audit import ChainProblem, as_utc, canonical_time, verify_chain
from provisioner.domain.errors import InvalidInput
from provisioner.store.db import Store
from provisioner.store.models.audit import Event
from provisioner.store.repositories import audit as audit_repo

EXPORT_FIELDS = (
    "seq", "at", "actor", "action", "request_id", "job_id", "client_ip",
    "detail", "before", "after", "prev_hash", "hash",
)  # fmt: skip


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    problems: list[ChainProblem]

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.entries} entri utuh / {self.entries} entries intact"
        lines = [f"RUSAK / BROKEN: {len(self.problems)} masalah / problems"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def entry_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": canonical_time(event.at),
        "actor": event.actor,
        "action": event.action,
        "request_id": event.request_id,
        "job_id": event.job_id,
        "client_ip": event.client_ip,
        "detail": event.detail,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@dataclass
class AuditService:
    store: Store

    def verify(self) -> AuditReport:
        """Recompute the chain: an edited entry fails its own hash, a deleted one leaves a
        gap in the sequence (or a head that points past the last entry), an entry slipped
        in without the chain has no sequence number."""
        with self.store.read() as s:
            events = list(audit_repo.iter_audit(s))
            head = audit_repo.audit_head(s)
            unchained = audit_repo.unchained_event_ids(s)
        problems = verify_chain((e.id, audit_repo.entry_of(e), e.hash) for e in events)
        last = events[-1].seq if events else 0
        if last is not None and head > last:
            problems.append(
                ChainProblem(
                    last + 1,
                    None,
                    f"entri #{last + 1}..#{head} di ujung log hilang (dihapus) / "
                    f"entries #{last + 1}..#{head} at the end of the log are missing (deleted)",
                )
            )
        for event_id in unchained:
            problems.append(
                ChainProblem(
                    0,
                    event_id,
                    "entri di luar rantai (disisipkan langsung) / entry outside the chain "
                    "(inserted directly)",
                )
            )
        return AuditReport(not problems, len(events), problems)

    def verify_as(self, actor: Actor) -> AuditReport:
        ensure_allowed(actor, Action.AUDIT)
        return self.verify()

    def entries(self, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        with self.store.read() as s:
            rows = [entry_dict(e) for e in audit_repo.iter_audit(s)
                    if since is None or _after(e, since)]
        yield from rows

    def export(self, fmt: str = "json", *, since: datetime | None = None) -> str:
        """The whole log (or since a date) as JSON or CSV, with the hashes so an auditor
        can re-check the chain independently."""
        rows = list(self.entries(since=since))
        if fmt == "json":
            return json.dumps(rows, ensure_ascii=False, indent=1)
        if fmt != "csv":
            raise InvalidInput("format", "Format: csv atau json / Format: csv or json")
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False, sort_keys=True)
                    if isinstance(v, dict | list)
                    else ("" if v is None else v)
                    for k, v in row.items()
                }
            )
        return buf.getvalue()

    def export_as(self, actor: Actor, fmt: str, *, since: datetime | None = None) -> str:
        ensure_allowed(actor, Action.AUDIT)
        return self.export(fmt, since=since)

    def recent(
        self, actor: Actor, *, request_id: int | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        ensure_allowed(actor, Action.AUDIT)
        with self.store.read() as s:
            rows = audit_repo.list_audit(s, request_id=request_id, limit=limit)
            return [entry_dict(e) for e in rows]


def _after(event: Event, since: datetime) -> bool:
    return as_utc(event.at) >= as_utc(since)
