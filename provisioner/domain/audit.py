"""The audit log's hash chain (pure). Each entry's hash covers its own content and the
previous entry's hash, so editing or deleting any entry breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def as_utc(at: datetime) -> datetime:
    """The store gives naive UTC on SQLite and aware UTC on PostgreSQL: one aware value."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def canonical_time(at: datetime) -> str:
    """One spelling of an instant whatever the database gives back (SQLite drops the zone)."""
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> Any:
    """JSON-safe copy of `value` as it will read back from the store (keys as strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    request_id: int | None
    job_id: int | None
    client_ip: str | None
    detail: Any
    before: Any
    after: Any
    prev_hash: str

    def payload(self) -> bytes:
        body = {
            "seq": self.seq,
            "at": canonical_time(self.at),
            "actor": self.actor,
            "action": self.action,
            "request_id": self.request_id,
            "job_id": self.job_id,
            "client_ip": self.client_ip,
            "detail": canonical_json(self.detail),
            "before": canonical_json(self.before),
            "after": canonical_json(self.after),
            "prev_hash": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.payload()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"entri #{self.seq} (id {self.entry_id}): {self.reason}"


def verify_chain(
    entries: Iterable[tuple[int | None, AuditEntry, str | None]],
) -> list[ChainProblem]:
    """Check `(id, entry, stored_hash)` in seq order: seq has no gap, each entry names the
    previous hash, and each stored hash matches the content. Returns every problem found."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev = GENESIS
    for entry_id, entry, stored in entries:
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(
                    expected_seq,
                    entry_id,
                    f"entri #{expected_seq}..#{entry.seq - 1} hilang (dihapus) / "
                    f"entries #{expected_seq}..#{entry.seq - 1} are missing (deleted)",
                )
            )
        if entry.prev_hash != prev:
            problems.append(
                ChainProblem(
                    entry.seq,
                    entry_id,
                    "hash entri sebelumnya tidak cocok / previous-hash link is broken",
                )
            )
        if stored != entry.digest():
            problems.append(
                ChainProblem(
                    entry.seq,
                    entry_id,
                    "isi entri diubah (hash tidak cocok) / entry was edited (hash mismatch)",
                )
            )
        prev = stored or ""
        expected_seq = entry.seq + 1
    return problems
