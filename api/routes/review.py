"""A request's people-side steps: return for revision, resubmit, the letter scan, the
approver's approval of the letter, and the SLA clocks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse

from api.deps import CurrentActor, DecisionsDep, DocumentsDep, QueriesDep, RevisionsDep
from api.gates import requires
from api.presenters import clock_out, overdue_out, request_out
from api.schemas.requests import RequestIn, RequestOut, ReturnIn
from api.schemas.sla import OverdueOut, StepClockOut
from api.session import ClientIp, People
from provisioner.domain.actors import Action
from provisioner.domain.errors import InvalidInput, NotFound
from provisioner.domain.requests import RequestDraft

router = APIRouter(prefix="/api/v1", tags=["review"])


@router.post("/requests/{request_id}/verify", response_model=RequestOut,
             dependencies=[requires(Action.DECIDE)])
def verify_request(
    request_id: int, decisions: DecisionsDep, actor: CurrentActor, ip: ClientIp
) -> RequestOut:
    """Disposition: the network team takes the request up (Diverifikasi)."""
    return request_out(decisions.verify(request_id, actor, client_ip=ip), actor)


@router.post("/requests/{request_id}/return", response_model=RequestOut,
             dependencies=[requires(Action.DECIDE)])
def return_request(
    request_id: int, body: ReturnIn, revisions: RevisionsDep, actor: CurrentActor, ip: ClientIp
) -> RequestOut:
    """Send the request back to the OPD with what to revise; its SLA clock stops."""
    returned = revisions.return_for_revision(request_id, actor, body.note, client_ip=ip)
    return request_out(returned, actor)


@router.post("/requests/{request_id}/resubmit", response_model=RequestOut,
             dependencies=[requires(Action.SUBMIT)])
def resubmit_request(
    request_id: int,
    revisions: RevisionsDep,
    actor: CurrentActor,
    ip: ClientIp,
    body: RequestIn | None = None,
) -> RequestOut:
    """The OPD submits a returned request again, optionally with revised details."""
    draft = RequestDraft(**body.model_dump()) if body else None
    again = revisions.resubmit(request_id, actor, updates=draft, client_ip=ip)
    return request_out(again, actor)


# Read at most one byte past the limit: enough to know it is too large.
async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            "file",
            f"Berkas terlalu besar (maks. {limit // 1024} KiB) / File too large "
            f"(max {limit // 1024} KiB)",
        )
    return data


@router.put("/requests/{request_id}/letter-scan", response_model=RequestOut,
            dependencies=[requires(Action.SUBMIT)])
async def upload_letter_scan(
    request_id: int,
    documents: DocumentsDep,
    queries: QueriesDep,
    actor: CurrentActor,
    ip: ClientIp,
    file: Annotated[UploadFile, File(description="the signed request letter, PDF")],
) -> RequestOut:
    """Attach the scan of the OPD's request letter (PDF only, size-limited)."""
    data = await _read_limited(file, documents.max_bytes)
    documents.attach(request_id, data, actor, client_ip=ip)
    return request_out(queries.get(request_id, actor), actor)


@router.get("/requests/{request_id}/letter-scan", response_class=FileResponse)
def download_letter_scan(
    request_id: int, documents: DocumentsDep, actor: CurrentActor
) -> FileResponse:
    """The request letter's scan, to whoever may see the request."""
    path = documents.scan_path(request_id, actor)
    if path is None or not path.exists():
        raise NotFound("Belum ada pindaian surat / No letter scan attached")
    return FileResponse(path, media_type="application/pdf", filename=Path(path).name)


@router.post("/requests/{request_id}/letter/approve", response_model=RequestOut,
             dependencies=[requires(Action.SIGN_LETTER)])
def approve_letter(
    request_id: int, decisions: DecisionsDep, actor: CurrentActor, ip: ClientIp
) -> RequestOut:
    """The approver (Kepala Dinas / Kabid) records approval of the issued letter."""
    return request_out(decisions.approve_letter(request_id, actor, client_ip=ip), actor)


@router.get("/requests/{request_id}/sla", response_model=list[StepClockOut])
def request_sla(request_id: int, actor: CurrentActor, people: People) -> list[StepClockOut]:
    """Each SLA step's clock in working minutes, paused while waiting on the OPD."""
    return [clock_out(c) for c in people.sla.clocks(request_id, actor)]


@router.get("/sla/overdue", response_model=list[OverdueOut],
            dependencies=[requires(Action.DASHBOARD)])
def overdue(actor: CurrentActor, people: People) -> list[OverdueOut]:
    """Running steps past their limit, across agencies (dashboards)."""
    return [overdue_out(o) for o in people.sla.overdue(actor)]
