"""Named leases (one scheduler per cluster), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from provisioner.store.models.base import utcnow
from provisioner.store.models.leases import Lease


def take_lease(session: Session, name: str, holder: str, *, seconds: float) -> bool:
    """Take or renew lease `name` for `holder`; True while `holder` is the leader. Another
    holder gets it only once the current lease expired (its node stopped renewing)."""

    now = utcnow()
    until = now + timedelta(seconds=seconds)
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
        .values(holder=holder, expires_at=until)
    )
    if renewed.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=until, acquired_at=now))
        return True
    except IntegrityError:
        return False


def release_lease(session: Session, name: str, holder: str) -> None:

    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_holder(session: Session, name: str) -> str | None:

    lease = session.get(Lease, name)
    if lease is None:
        return None
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones.
    expires = lease.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return lease.holder if expires > utcnow() else None
