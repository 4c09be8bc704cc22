"""The DNS ownership registry: every record provisioner wrote or adopted, with its value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.domain.dns_adoption import INFRASTRUCTURE, ORIGIN_ADOPTED, Adoption
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import Conflict
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


# --- adopted records -----------------------------------------------------------------

_SITE_TYPES = ("A", "AAAA", "CNAME")  # the records a site's name resolves through


def adopt_record(
    session: Session, zone: str, item: Adoption, *, actor: str, at: datetime
) -> DnsRecord:
    """A record that stood in the zone joins the registry with its value now; Conflict if
    someone adopted or created it meanwhile (the active-owner index would refuse it too)."""
    if owned_record(session, item.name, item.rtype) is not None:
        raise Conflict(
            f"{item.name} ({item.rtype}) sudah tercatat di registri / is already in the registry"
        )
    row = DnsRecord(
        zone=zone,
        name=item.name,
        rtype=item.rtype,
        value=item.value,
        ttl=item.ttl,
        request_id=None,
        origin=ORIGIN_ADOPTED,
        owner=item.owner,
        adopted_by=actor,
        adopted_at=at,
    )
    session.add(row)
    session.flush()
    return row


def adopted_site(session: Session, fqdn: str) -> DnsRecord | None:
    """The active adopted record that makes `fqdn` an agency's name (not infrastructure)."""
    return session.scalar(
        select(DnsRecord)
        .where(
            DnsRecord.name == fqdn,
            DnsRecord.active,
            DnsRecord.origin == ORIGIN_ADOPTED,
            DnsRecord.owner != INFRASTRUCTURE,
            DnsRecord.rtype.in_(_SITE_TYPES),
        )
        .order_by(DnsRecord.id)
        .limit(1)
    )


def adopted_sites(session: Session) -> list[tuple[str, str]]:
    """(fqdn, agency) of every name an adopted agency record resolves, once each."""
    rows = session.execute(
        select(DnsRecord.name, DnsRecord.owner)
        .where(
            DnsRecord.active,
            DnsRecord.origin == ORIGIN_ADOPTED,
            DnsRecord.owner != INFRASTRUCTURE,
            DnsRecord.rtype.in_(_SITE_TYPES),
        )
        .order_by(DnsRecord.name, DnsRecord.id)
    ).all()
    return list({name: (name, owner or "") for name, owner in rows}.values())
