"""The append-only, hash-chained audit log and what is read back from it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.domain.audit import GENESIS, AuditEntry, canonical_json
from provisioner.store.models.audit import Event
from provisioner.store.models.base import utcnow
from provisioner.store.models.counters import Counter
from provisioner.store.repositories.counters import next_counter


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    request_id: int | None = None,
    job_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
    client_ip: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append a hash-chained audit entry."""
    append_audit(
        session,
        actor=actor,
        action=action,
        request_id=request_id,
        job_id=job_id,
        detail=detail,
        at=at,
        client_ip=client_ip,
        before=before,
        after=after,
    )


def events_for_request(session: Session, request_id: int) -> Sequence[Event]:
    return session.scalars(
        select(Event).where(Event.request_id == request_id).order_by(Event.id)
    ).all()


AUDIT_COUNTER = "audit:seq"


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    request_id: int | None = None,
    job_id: int | None = None,
    detail: Any = None,
    at: datetime | None = None,
    client_ip: str | None = None,
    before: Any = None,
    after: Any = None,
) -> Event:
    """Append one entry to the chain. Taking the next sequence number locks the counter row
    until the caller commits, so concurrent writers line up and never fork the chain."""

    seq = next_counter(session, AUDIT_COUNTER)
    prev = GENESIS
    if seq > 1:
        prev = session.scalar(select(Event.hash).where(Event.seq == seq - 1)) or GENESIS
    entry = AuditEntry(
        seq=seq,
        at=at or utcnow(),
        actor=actor[:64],
        action=action[:60],
        request_id=request_id,
        job_id=job_id,
        client_ip=client_ip,
        detail=canonical_json(detail),
        before=canonical_json(before),
        after=canonical_json(after),
        prev_hash=prev,
    )
    event = Event(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        request_id=request_id,
        job_id=job_id,
        client_ip=client_ip,
        detail=entry.detail,
        before=entry.before,
        after=entry.after,
        prev_hash=prev,
        hash=entry.digest(),
    )
    session.add(event)
    session.flush()
    return event


def entry_of(event: Event) -> AuditEntry:
    return AuditEntry(
        seq=event.seq or 0,
        at=event.at,
        actor=event.actor,
        action=event.action,
        request_id=event.request_id,
        job_id=event.job_id,
        client_ip=event.client_ip,
        detail=event.detail,
        before=event.before,
        after=event.after,
        prev_hash=event.prev_hash or "",
    )


def iter_audit(session: Session, *, batch: int = 1000) -> Iterator[Event]:
    """Every entry in chain order, in batches (the log may be long)."""
    last = 0
    while True:
        rows = session.scalars(
            select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or last


def unchained_event_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Event.id).where(Event.seq.is_(None))))


def audit_head(session: Session) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == AUDIT_COUNTER)) or 0)


FAILED_SIGN_IN_ACTIONS = ("auth:failed", "auth:lockout", "auth:locked")


def failed_sign_ins_from(
    session: Session, client_ip: str, *, since: datetime, limit: int
) -> list[datetime]:
    """When the latest failed sign-ins from `client_ip` since `since` happened (UTC,
    newest first, at most `limit`): the audit log is the record of every attempt."""
    rows = session.scalars(
        select(Event.at)
        .where(
            Event.client_ip == client_ip,
            Event.action.in_(FAILED_SIGN_IN_ACTIONS),
            Event.at >= since,
        )
        .order_by(Event.at.desc())
        .limit(limit)
    )
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones.
    return [at if at.tzinfo else at.replace(tzinfo=UTC) for at in rows]


def list_audit(
    session: Session,
    *,
    request_id: int | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> Sequence[Event]:
    stmt = select(Event).order_by(Event.seq.desc()).limit(limit)
    if request_id is not None:
        stmt = stmt.where(Event.request_id == request_id)
    if actor is not None:
        stmt = stmt.where(Event.actor == actor)
    if since is not None:
        stmt = stmt.where(Event.at >= since)
    return session.scalars(stmt).all()


def state_history(session: Session, request_id: int) -> list[tuple[datetime, str]]:
    """(at, action) of a request's events, oldest first, for the SLA clocks."""
    rows = session.execute(
        select(Event.at, Event.action).where(Event.request_id == request_id).order_by(Event.seq)
    ).all()
    return [(r.at, r.action) for r in rows]


def actions_for_request(session: Session, request_id: int, action: str) -> Sequence[Event]:
    return session.scalars(
        select(Event).where(Event.request_id == request_id, Event.action == action)
    ).all()
