"""Data access used by the workflow. Functions take a Session so the caller owns the
transaction; nothing here decides what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from provisioner.domain.errors import Conflict, NotFound
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.store.models import (
    Counter,
    Event,
    Job,
    JobStep,
    Letter,
    Lock,
    NameClaim,
    Request,
    User,
    utcnow,
)

# --- counters ------------------------------------------------------------------------


def next_counter(session: Session, name: str) -> int:
    """Take the next value of a gap-free sequence. The row update holds the row lock
    (PostgreSQL) or the write lock (SQLite) until the caller's transaction ends, so a
    value is consumed only if the caller commits — no gaps, no duplicates."""
    for _ in range(3):
        result = session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return int(session.scalar(select(Counter.value).where(Counter.name == name)) or 0)
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=1))
            return 1
        except IntegrityError:
            continue  # someone created it concurrently: take the update path
    raise Conflict(f"counter {name} is contended")


# --- users ---------------------------------------------------------------------------


def user_by_token(session: Session, token_sha256: str) -> User | None:
    return session.scalar(select(User).where(User.token_sha256 == token_sha256))


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


# --- names ---------------------------------------------------------------------------


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


# --- requests ------------------------------------------------------------------------


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


# --- jobs ----------------------------------------------------------------------------


def create_job(
    session: Session, *, request_id: int, kind: str, lock_key: str, steps: Sequence[str], actor: str
) -> Job:
    job = Job(
        request_id=request_id,
        kind=kind,
        state=JobState.QUEUED,
        lock_key=lock_key,
        created_by=actor,
        steps=[
            JobStep(position=i, name=name, status=StepStatus.PLANNED)
            for i, name in enumerate(steps)
        ],
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.scalar(select(Job).where(Job.id == job_id).options(selectinload(Job.steps)))
    if job is None:
        raise NotFound(f"Pekerjaan {job_id} tidak ada / Job {job_id} not found")
    return job


def queued_job_ids(session: Session, limit: int = 10) -> list[int]:
    return list(
        session.scalars(
            select(Job.id).where(Job.state == JobState.QUEUED).order_by(Job.id).limit(limit)
        )
    )


def claim_job(session: Session, job_id: int, worker: str) -> bool:
    """Compare-and-set queued -> running; exactly one worker wins."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, claimed_by=worker, heartbeat_at=now, started_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def requeue_orphans(session: Session, *, worker: str | None, stale_after: timedelta) -> list[int]:
    """Jobs left running by a process that died: ours (after a restart) or any whose
    heartbeat is older than `stale_after`. They go back to the queue and resume."""
    cutoff = utcnow() - stale_after
    cond = Job.heartbeat_at < cutoff
    if worker is not None:
        cond = cond | (Job.claimed_by == worker)
    ids = list(session.scalars(select(Job.id).where(Job.state == JobState.RUNNING, cond)))
    if ids:
        session.execute(
            update(Job).where(Job.id.in_(ids)).values(state=JobState.QUEUED, claimed_by=None)
        )
    return ids


def heartbeat(session: Session, job_id: int) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))


def take_over_job(session: Session, job_id: int, worker: str, *, stale_after: timedelta) -> bool:
    """Claim a job for `worker`: queued, already ours, or running with a heartbeat older than
    `stale_after` (its worker died). A compare-and-set, so exactly one worker wins."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            (Job.state == JobState.QUEUED)
            | (
                (Job.state == JobState.RUNNING)
                & ((Job.claimed_by == worker) | (Job.heartbeat_at < now - stale_after))
            ),
        )
        .values(state=JobState.RUNNING, claimed_by=worker, heartbeat_at=now, started_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_jobs_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {str(state): int(n) for state, n in rows}


# --- locks ---------------------------------------------------------------------------


def acquire_lock(session: Session, key: str, job_id: int) -> bool:
    """True if `job_id` holds `key` now (re-entrant for the same job)."""
    holder = session.scalar(select(Lock.job_id).where(Lock.key == key))
    if holder == job_id:
        return True
    if holder is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lock(key=key, job_id=job_id))
        return True
    except IntegrityError:
        return False


def lock_conflict(session: Session, keys: Sequence[str], job_id: int) -> tuple[str, int] | None:
    """The first of `keys` held by another job, as (key, job id); None if all are free."""
    rows = session.execute(select(Lock.key, Lock.job_id).where(Lock.key.in_(list(keys)))).all()
    for key, holder in sorted(rows):
        if holder != job_id:
            return str(key), int(holder)
    return None


def acquire_locks(session: Session, keys: Sequence[str], job_id: int) -> tuple[str, int] | None:
    """Take every key for `job_id` or none: returns the conflicting (key, holder) or None.
    On a race (PostgreSQL) the IntegrityError propagates so the caller's transaction, and
    with it any key taken here, is rolled back."""
    conflict = lock_conflict(session, keys, job_id)
    if conflict is not None:
        return conflict
    held = set(session.scalars(select(Lock.key).where(Lock.job_id == job_id)))
    for key in sorted(set(keys) - held):
        session.add(Lock(key=key, job_id=job_id))
    session.flush()
    return None


def lock_holder(session: Session, key: str) -> int | None:
    return session.scalar(select(Lock.job_id).where(Lock.key == key))


def release_locks(session: Session, job_id: int) -> None:
    session.execute(delete(Lock).where(Lock.job_id == job_id))


# --- letters -------------------------------------------------------------------------


def letter_for_request(session: Session, request_id: int) -> Letter | None:
    return session.scalar(
        select(Letter).where(Letter.request_id == request_id).order_by(Letter.id.desc()).limit(1)
    )


def letter_by_code(session: Session, code: str) -> Letter | None:
    return session.scalar(select(Letter).where(Letter.verification_code == code))


# --- events --------------------------------------------------------------------------


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
    """Append a hash-chained audit entry (people area: repositories_people.append_audit)."""
    from provisioner.store.repositories_people import append_audit

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


# --- leases (jobs area: one active scheduler) ------------------------------------------


def take_lease(session: Session, name: str, holder: str, *, seconds: float) -> bool:
    """Take or renew lease `name` for `holder`; True while `holder` is the leader. Another
    holder gets it only once the current lease expired (its node stopped renewing)."""
    from provisioner.store.models_jobs import Lease

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
    from provisioner.store.models_jobs import Lease

    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_holder(session: Session, name: str) -> str | None:
    from provisioner.store.models_jobs import Lease

    lease = session.get(Lease, name)
    if lease is None:
        return None
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones.
    expires = lease.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return lease.holder if expires > utcnow() else None


# --- liveness history (jobs area: periodic checks of live subdomains) ------------------


def record_liveness(
    session: Session, *, request_id: int, fqdn: str, live: bool, detail: dict[str, Any]
) -> None:
    from provisioner.store.models_jobs import LivenessCheck

    session.add(LivenessCheck(request_id=request_id, fqdn=fqdn, live=live, detail=detail))


def liveness_history(session: Session, fqdn: str, *, limit: int = 20) -> Sequence[Any]:
    """The latest periodic checks of `fqdn`, newest first."""
    from provisioner.store.models_jobs import LivenessCheck

    return session.scalars(
        select(LivenessCheck)
        .where(LivenessCheck.fqdn == fqdn)
        .order_by(LivenessCheck.checked_at.desc(), LivenessCheck.id.desc())
        .limit(limit)
    ).all()


def prune_liveness(session: Session, *, older_than: timedelta) -> int:
    from provisioner.store.models_jobs import LivenessCheck

    gone = session.execute(
        delete(LivenessCheck).where(LivenessCheck.checked_at < utcnow() - older_than)
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]
