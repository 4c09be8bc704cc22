"""The DNS ownership registry: every record provisioner wrote, with its value."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.domain.dns_plan import RecordChange
from provisioner.store.models.base import utcnow
from provisioner.store.models.dns import DnsRecord


def owned_record(session: Session, name: str, rtype: str) -> DnsRecord | None:
    """The active registry row for `name`/`rtype`, if provisioner owns that record."""
    return session.scalar(
        select(DnsRecord).where(DnsRecord.name == name, DnsRecord.rtype == rtype, DnsRecord.active)
    )


def owned_at(session: Session, name: str) -> Sequence[DnsRecord]:
    """Every active record provisioner owns at `name` (any type)."""
    return session.scalars(select(DnsRecord).where(DnsRecord.name == name, DnsRecord.active)).all()


def active_records(session: Session, zone: str | None = None) -> Sequence[DnsRecord]:
    """Active registry rows, of one zone or all, ordered by name and type."""
    stmt = select(DnsRecord).where(DnsRecord.active)
    if zone is not None:
        stmt = stmt.where(DnsRecord.zone == zone)
    return session.scalars(stmt.order_by(DnsRecord.name, DnsRecord.rtype)).all()


def records_of_request(session: Session, request_id: int) -> Sequence[DnsRecord]:
    """Active records written for one request (for undo and retire)."""
    return session.scalars(
        select(DnsRecord)
        .where(DnsRecord.request_id == request_id, DnsRecord.active)
        .order_by(DnsRecord.id)
    ).all()


def record_applied(
    session: Session, zone: str, change: RecordChange, request_id: int | None
) -> None:
    """Write down what a change did to the zone, right after the server accepted it."""
    row = owned_record(session, change.name, change.rtype)
    if change.action == "delete":
        if row is not None:
            row.active = False
            row.updated_at = utcnow()
        return
    if row is None:
        session.add(
            DnsRecord(
                zone=zone,
                name=change.name,
                rtype=change.rtype,
                value=change.value,
                ttl=change.ttl,
                request_id=request_id,
            )
        )
        session.flush()
        return
    row.value = change.value
    row.ttl = change.ttl
    row.updated_at = utcnow()
    if request_id is not None and row.request_id is None:
        row.request_id = request_id
