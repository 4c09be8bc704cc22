"""Deployments (which commit went where) and retirement plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.store.models.hosting import Deployment, Retirement


def add_deployment(
    session: Session, *, job_id: int, request_id: int, kind: str, ref: str | None,
    commit: str | None, actor: str,
) -> Deployment:
    row = Deployment(job_id=job_id, request_id=request_id, kind=kind, ref=ref, commit=commit,
                     created_by=actor)
    session.add(row)
    session.flush()
    return row


def deployment_for_job(session: Session, job_id: int) -> Deployment | None:
    return session.scalar(select(Deployment).where(Deployment.job_id == job_id))


def add_retirement(session: Session, **values: Any) -> Retirement:
    row = Retirement(**values)
    session.add(row)
    session.flush()
    return row


def open_retirement(session: Session, request_id: int) -> Retirement | None:
    """The newest retirement plan of a request that is not rejected."""
    return session.scalar(
        select(Retirement)
        .where(Retirement.request_id == request_id, Retirement.state != "rejected")
        .order_by(Retirement.id.desc())
        .limit(1)
    )
