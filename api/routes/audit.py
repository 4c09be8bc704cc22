"""The audit log for auditors (admin and approver): list, verify, export."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from api.deps import CurrentActor
from api.gates import requires
from api.presenters import audit_entry_out, audit_verify_out
from api.schemas.audit import AuditEntryOut, AuditVerifyOut
from api.session import People
from provisioner.domain.actors import Action

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], dependencies=[requires(Action.AUDIT)])


@router.get("", response_model=list[AuditEntryOut])
def recent_entries(
    actor: CurrentActor,
    people: People,
    request_id: int | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[AuditEntryOut]:
    """The newest entries (optionally of one request), newest first."""
    entries = people.audit.recent(actor, request_id=request_id, limit=limit)
    return [audit_entry_out(e) for e in entries]


@router.get("/verify", response_model=AuditVerifyOut)
def verify(actor: CurrentActor, people: People) -> AuditVerifyOut:
    """Recompute the hash chain; names every edited, deleted or slipped-in entry."""
    return audit_verify_out(people.audit.verify_as(actor))


@router.get("/export", response_class=PlainTextResponse)
def export(
    actor: CurrentActor,
    people: People,
    format: Literal["csv", "json"] = "json",
    since: datetime | None = None,
) -> PlainTextResponse:
    """The log as CSV or JSON, with hashes, for an auditor to re-check independently."""
    body = people.audit.export_as(actor, format, since=since)
    media = "text/csv" if format == "csv" else "application/json"
    return PlainTextResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )
