"""Moving a request between states with its audit entry, shared by the request use cases,
and the callbacks they are given by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.errors import Conflict
from provisioner.domain.states import RequestState
from provisioner.store.models.requests import Request
from provisioner.store.repositories import audit as audit_repo

# A job was queued (its id): the dispatcher hands it to a worker.
JobQueued = Callable[[int], None]
# A hand-off happened (request id, event: submitted, approved, returned …): notifications.
Handoff = Callable[[int, str], None]


def move(
    s: Session,
    req: Request,
    target: RequestState,
    actor: Actor,
    action: str,
    client_ip: str | None,
    *,
    job_id: int | None = None,
    detail: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Move a request to `target` and append the audit entry with the state before/after
    (plus any other fields the caller changed), in the caller's transaction."""
    previous = req.state
    req.state = target
    audit_repo.record_event(
        s,
        actor=actor.username,
        action=action,
        request_id=req.id,
        job_id=job_id,
        detail=detail,
        client_ip=client_ip,
        before={"state": previous, **(before or {})},
        after={"state": target, **(after or {})},
    )


def ensure_awaiting_decision(req: Request) -> None:
    """Only a submitted or verified request can be decided; deciding twice is refused
    (staying in the same state is otherwise a legal no-op move)."""
    state = RequestState(req.state)
    if state not in (RequestState.SUBMITTED, RequestState.VERIFIED):
        raise Conflict(
            f"Permohonan berstatus {state.label_id}, tidak menunggu keputusan / "
            f"The request is {state.label_en.lower()}, not awaiting a decision"
        )
