"""Job locks: a job holds its site, DNS names and database, all keys or none."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from provisioner.store.models.locks import Lock


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
