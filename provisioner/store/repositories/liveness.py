"""The periodic liveness checks of live subdomains (kept 90 days)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from provisioner.store.models.base import utcnow
from provisioner.store.models.liveness import LivenessCheck


def record_liveness(
    session: Session, *, request_id: int | None, fqdn: str, live: bool, detail: dict[str, Any]
) -> None:

    session.add(LivenessCheck(request_id=request_id, fqdn=fqdn, live=live, detail=detail))


def liveness_history(session: Session, fqdn: str, *, limit: int = 20) -> Sequence[Any]:
    """The latest periodic checks of `fqdn`, newest first."""

    return session.scalars(
        select(LivenessCheck)
        .where(LivenessCheck.fqdn == fqdn)
        .order_by(LivenessCheck.checked_at.desc(), LivenessCheck.id.desc())
        .limit(limit)
    ).all()


def prune_liveness(session: Session, *, older_than: timedelta) -> int:

    gone = session.execute(
        delete(LivenessCheck).where(LivenessCheck.checked_at < utcnow() - older_than)
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]
