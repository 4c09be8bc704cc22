"""Requests and the names they hold in the registry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from provisioner.domain.errors import Conflict, NotFound
from provisioner.store.models.jobs import Job, JobStep
from provisioner.store.models.requests import NameClaim, Request


def name_is_claimed(session: Session, zone: str, label: str) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(NameClaim)
            .where(NameClaim.zone == zone, NameClaim.label == label, NameClaim.active)
        )
        or 0
    ) > 0


def claim_name(session: Session, zone: str, label: str, request_id: int) -> None:
    """Hold a name for a request; the unique index refuses a second active holder."""
    try:
        with session.begin_nested():
            session.add(NameClaim(zone=zone, label=label, request_id=request_id))
    except IntegrityError:
        raise Conflict(
            f"Nama {label}.{zone} sudah diminta atau dipakai / "
            f"The name {label}.{zone} is already requested or taken"
        ) from None


def release_name(session: Session, request_id: int) -> None:
    session.execute(
        update(NameClaim).where(NameClaim.request_id == request_id).values(active=False)
    )


def get_request(session: Session, request_id: int, *, lock: bool = False) -> Request:
    stmt = select(Request).where(Request.id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    req = session.scalar(stmt)
    if req is None:
        raise NotFound(f"Permohonan {request_id} tidak ada / Request {request_id} not found")
    return req


def get_request_by_ticket(session: Session, ticket: str) -> Request:
    req = session.scalar(select(Request).where(Request.ticket == ticket))
    if req is None:
        raise NotFound(f"Tiket {ticket} tidak ada / Ticket {ticket} not found")
    return req


def latest_request_for_fqdn(session: Session, fqdn: str) -> Request | None:
    """The site's own request: change requests about it (target, contact, deactivation)
    carry the same fqdn but are not the site."""
    return session.scalar(
        select(Request)
        .where(Request.fqdn == fqdn, Request.request_type == "new")
        .order_by(Request.id.desc())
        .limit(1)
    )


def list_requests(
    session: Session,
    *,
    agency: str | None = None,
    state: str | None = None,
    limit: int = 200,
    with_jobs: bool = False,
) -> Sequence[Request]:
    """Newest first. `with_jobs` loads every request's jobs and steps in two queries (the
    steps' logs and outputs stay unread), for callers that build complete views."""
    stmt = select(Request).order_by(Request.id.desc()).limit(limit)
    if with_jobs:
        stmt = stmt.options(
            selectinload(Request.jobs)
            .selectinload(Job.steps)
            .defer(JobStep.log)
            .defer(JobStep.outputs)
        )
    if agency is not None:
        stmt = stmt.where(Request.agency == agency)
    if state is not None:
        stmt = stmt.where(Request.state == state)
    return session.scalars(stmt).all()


def hosting_sites_holding_names(
    session: Session, *, states: Sequence[str], exclude_request_id: int
) -> list[tuple[int, str, str, str | None, str | None]]:
    """Every other hosting site (a "new" request) in one of `states`, as (id, ticket,
    label, db_name, db_user); the names are None until its approval stored them."""
    rows = session.execute(
        select(Request.id, Request.ticket, Request.label, Request.db_name, Request.db_user)
        .where(
            Request.hosting.is_(True),
            Request.request_type == "new",
            Request.state.in_(list(states)),
            Request.id != exclude_request_id,
        )
        .order_by(Request.id)
    ).all()
    return [(int(i), str(t), str(lbl), db, user) for i, t, lbl, db, user in rows]


def open_requests(session: Session, states: Sequence[str], limit: int = 5000) -> Sequence[Request]:
    return session.scalars(
        select(Request).where(Request.state.in_(states)).order_by(Request.id).limit(limit)
    ).all()
