"""Registered existing sites: added, found by name or host, listed for monitoring, ended."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from provisioner.store.models.existing_sites import ExistingSite
from provisioner.store.models.requests import NameClaim
from provisioner.store.repositories import requests as requests_repo


def add_existing_site(session: Session, **values: Any) -> ExistingSite:
    """Register a site and hold its name in the registry of names (unless something holds
    it already: a record adopted from the zone may)."""
    site = ExistingSite(**values)
    session.add(site)
    if not requests_repo.name_is_claimed(session, site.zone, site.label):
        session.add(NameClaim(zone=site.zone, label=site.label, request_id=None))
    session.flush()
    return site


def end_registration(session: Session, site: ExistingSite) -> None:
    """The site is no longer registered: its name's hold is let go (the one registering
    took; a request's or another's stays)."""
    site.active = False
    session.execute(
        update(NameClaim)
        .where(NameClaim.zone == site.zone, NameClaim.label == site.label,
               NameClaim.request_id.is_(None), NameClaim.active)
        .values(active=False)
    )  # fmt: skip
    session.flush()


def active_site(session: Session, fqdn: str, *, lock: bool = False) -> ExistingSite | None:
    query = select(ExistingSite).where(ExistingSite.fqdn == fqdn, ExistingSite.active)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def active_sites(session: Session, host: str | None = None) -> Sequence[ExistingSite]:
    """Every active registration (of one web host), by name."""
    query = select(ExistingSite).where(ExistingSite.active)
    if host is not None:
        query = query.where(ExistingSite.host == host)
    return session.scalars(query.order_by(ExistingSite.fqdn)).all()
