"""One request under an SOP, as a page: the SOP (name, key, version), every step in order
with its status, role, mutu baku and clock; the history; the documents; the letters; the
evidence — and, for a role that acts on the current step, its form. The page's actions:
record the step, attach a document, link the subdomain request, approve a letter (the
Kepala Dinas, asked to confirm first). Routes call the workflow only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.deps import ProcedureDocumentsDep, ProceduresDep, QueriesDep
from api.errors import error_page
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, translate
from api.web.pages import safe_next
from api.web.procedure_forms import DOC, STEP_DOC, page_errors, read_step, remembered
from api.web.procedure_panel import (
    StepPanel,
    field_labels,
    needed_documents,
    other_kinds,
    step_panel,
)
from api.web.procedure_shared import current_clock, latest_clocks, sop_render
from api.web.session_bridge import CsrfProtect, SignedIn
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from provisioner.domain.sop_run import NEEDS_REASON
from provisioner.workflow.procedures.documents import ProcedureDocuments
from provisioner.workflow.procedures.service import Procedures
from provisioner.workflow.procedures.views import ProcedureView
from provisioner.workflow.requests.queries import RequestQueries

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])
REFUSED = (Forbidden, NotFound, Conflict)
LINKABLE = frozenset({"subdomain", "hosting", "dev_install", "production", "load_test",
                      "security_scan"})  # fmt: skip


@dataclass(frozen=True)
class SopPage:
    """What a request's page reads: the request, its documents' limits, the agency's
    subdomain requests (to link one)."""

    procedures: Procedures
    documents: ProcedureDocuments
    queries: RequestQueries


def _sop_page(procedures: ProceduresDep, documents: ProcedureDocumentsDep,
              queries: QueriesDep) -> SopPage:  # fmt: skip
    return SopPage(procedures, documents, queries)


SopPageDep = Annotated[SopPage, Depends(_sop_page)]


def _link_choices(page: SopPage, view: ProcedureView, actor: Actor,
                  panel: StepPanel | None) -> list[Any]:  # fmt: skip
    """The agency's subdomain requests the OPD may link, on a hardware step without one."""
    if (view.request_id is not None or panel is None or panel.step.output_kind != "job"
            or actor.role not in (Role.OPD, Role.ADMIN)):  # fmt: skip
        return []
    return [r for r in page.queries.list(actor) if r.agency == view.agency]


def _context(page: SopPage, view: ProcedureView, actor: Actor) -> dict[str, Any]:
    panel = step_panel(view, actor)
    needed = needed_documents(view, actor, panel)
    users = page.procedures.assignees(actor) if panel and panel.needs_users else ()
    may_attach = panel is not None and (panel.acts or actor.role is Role.OPD)
    return {
        "view": view,
        "panel": panel,
        "clocks": latest_clocks(view),
        "now_clock": current_clock(view),
        "needed": needed,
        "other_kinds": other_kinds(view, needed) if may_attach else [],
        "users": users,
        "labels": field_labels(view),
        "link_choices": _link_choices(page, view, actor, panel),
        "max_mb": page.documents.max_bytes // 1024 // 1024,
    }


def _detail_page(request: Request, procedure_id: int, page: SopPage, actor: Actor, *,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:  # fmt: skip
    try:
        view = page.procedures.get(procedure_id, actor)
    except REFUSED as exc:
        return error_page(request, actor, exc)
    context = _context(page, view, actor)
    panel = context["panel"]
    start = remembered(panel.inputs, view.history, view.fields) if panel else {}
    context.update(errors=errors or {}, v={**start, **(values or {})})
    return sop_render(request, "sop_detail.html", context, actor, status_code=status_code)


@router.get("/sop/{procedure_id}", response_class=HTMLResponse)
def procedure_detail(request: Request, procedure_id: int, page: SopPageDep,
                     actor: SignedIn) -> Response:  # fmt: skip
    """The request, its steps and what was recorded; the current step's form for its role."""
    return _detail_page(request, procedure_id, page, actor)


def _done_after(panel: StepPanel, outcome: str, after: ProcedureView) -> str:
    if panel.mode == "probe" and outcome not in NEEDS_REASON:
        still = after.current_step is not None and after.current_step.key == panel.step.key
        return "sop_probe_failed" if still else "sop_probe"
    if panel.step.output_kind == "letter" and outcome not in NEEDS_REASON:
        return "sop_draft"
    return "sop_step"


@router.post("/sop/{procedure_id}/steps/{step_key}", response_class=HTMLResponse)
async def record_step(request: Request, procedure_id: int, step_key: str, page: SopPageDep,
                      actor: SignedIn) -> Response:  # fmt: skip
    """Finish the current step with the pressed outcome (a letter step prepares its draft
    for the Kepala Dinas; a feasibility test runs); refusals come back next to the field."""
    form = await request.form()
    try:
        view = page.procedures.get(procedure_id, actor)
        panel = step_panel(view, actor)
        if panel is None or panel.step.key != step_key:
            raise Conflict(translate("sop.not_current", "id") + " / "
                           + translate("sop.not_current", "en"))  # fmt: skip
    except REFUSED as exc:
        return error_page(request, actor, exc)
    read = read_step(form, panel.inputs)
    attach_errors = await _attach_given(page, procedure_id, panel, form, actor)
    try:
        if attach_errors:
            raise InvalidInput.of(list(attach_errors.items()))
        if read.outcome is None:
            raise InvalidInput("outcome", "Pilih hasil langkah / Choose the step's outcome")
        given = {k: v for k, v in read.fields.items() if v.strip()}
        after = page.procedures.record(procedure_id, step_key, read.outcome, actor,
                                       note=read.note, fields=given)  # fmt: skip
    except InvalidInput as exc:
        errors = attach_errors or page_errors(
            exc.problems, fields=[i.key for i in panel.inputs], documents=view.document_names,
            in_form=[k for k, _ in panel.missing],
        )  # fmt: skip
        return _detail_page(request, procedure_id, page, actor, errors=errors,
                            values=read.values, status_code=422)  # fmt: skip
    except REFUSED as exc:
        return error_page(request, actor, exc)
    done = _done_after(panel, read.outcome, after)
    return RedirectResponse(done_url(f"/sop/{procedure_id}#now", done), status_code=303)


async def _attach_given(page: SopPage, procedure_id: int, panel: StepPanel, form: FormData,
                       actor: Actor) -> dict[str, str]:  # fmt: skip
    """Attach the documents given with the step's answers; each refusal by its field."""
    errors: dict[str, str] = {}
    for kind, _ in panel.missing:
        upload = form.get(STEP_DOC + kind)
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = await upload.read(page.documents.max_bytes + 1)
        try:
            page.documents.attach(procedure_id, kind, upload.filename, data, actor)
        except InvalidInput as exc:
            errors[STEP_DOC + kind] = exc.problems[0][1]
    return errors


@router.post("/sop/{procedure_id}/documents", response_class=HTMLResponse)
async def attach_document(request: Request, procedure_id: int, page: SopPageDep,
                          actor: SignedIn) -> Response:  # fmt: skip
    """Attach a PDF of one of the SOP's document kinds to the current step."""
    form = await request.form()
    kind = str(form.get("kind") or "")[:63]
    where = DOC + (kind if form.get("from") != "other" else "other")
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "Pilih berkas PDF / Choose a PDF file")
        data = await upload.read(page.documents.max_bytes + 1)
        page.documents.attach(procedure_id, kind, upload.filename, data, actor)
    except InvalidInput as exc:
        return _detail_page(request, procedure_id, page, actor,
                            errors={where: exc.problems[0][1]}, status_code=422)  # fmt: skip
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/sop/{procedure_id}#documents", "sop_document"),
                            status_code=303)  # fmt: skip


@router.get("/sop/{procedure_id}/documents/{document_id}")
def download_document(request: Request, procedure_id: int, document_id: int,
                      page: SopPageDep, actor: SignedIn) -> Response:  # fmt: skip
    """A document of the request (a PDF, checked as one when it was attached)."""
    try:
        path, filename = page.documents.document_file(procedure_id, document_id, actor)
        if not path.is_file():
            raise NotFound("Berkas dokumen tidak ada / The document's file is missing")
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return FileResponse(path, media_type="application/pdf", filename=filename)


@router.get("/sop/{procedure_id}/letters/{letter_id}.pdf")
def download_letter(request: Request, procedure_id: int, letter_id: int,
                    procedures: ProceduresDep, actor: SignedIn) -> Response:  # fmt: skip
    """An issued letter of the request."""
    try:
        path = procedures.letter_pdf(procedure_id, letter_id, actor)
        if not path.is_file():
            raise NotFound("Berkas surat tidak ada / The letter's file is missing")
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return FileResponse(path, media_type="application/pdf", filename=path.name)


@router.post("/sop/{procedure_id}/letters/{letter_id}/record", response_class=HTMLResponse)
async def upload_record(request: Request, procedure_id: int, letter_id: int,
                        page: SopPageDep, actor: SignedIn) -> Response:  # fmt: skip
    """The TTE-signed PDF of an issued letter, kept once as its letter of record."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "Pilih berkas PDF / Choose a PDF file")
        data = await upload.read(page.documents.max_bytes + 1)
        page.documents.upload_record(procedure_id, letter_id, data, actor)
    except InvalidInput as exc:
        return _detail_page(request, procedure_id, page, actor,
                            errors={f"record-{letter_id}": exc.problems[0][1]},
                            status_code=422)  # fmt: skip
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/sop/{procedure_id}#letters", "record_uploaded"),
                            status_code=303)  # fmt: skip


@router.get("/sop/{procedure_id}/letters/{letter_id}/record.pdf")
def download_record(request: Request, procedure_id: int, letter_id: int,
                    page: SopPageDep, actor: SignedIn) -> Response:  # fmt: skip
    """The TTE-signed letter of record the agency uploaded."""
    try:
        path = page.documents.record_file(procedure_id, letter_id, actor)
        if not path.is_file():
            raise NotFound("Berkas surat ber-TTE tidak ada / The TTE-signed file is missing")
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return FileResponse(path, media_type="application/pdf", filename=path.name)


@router.post("/sop/{procedure_id}/request", response_class=HTMLResponse)
def link_request(request: Request, procedure_id: int, page: SopPageDep, actor: SignedIn,
                 request_id: Annotated[str, Form(max_length=12)] = "") -> Response:  # fmt: skip
    """The OPD names the subdomain / hosting request the hardware steps run on."""
    try:
        if not request_id.isdigit():
            raise InvalidInput("request_id", "Pilih permohonan subdomain / Choose a request")
        page.procedures.link_request(procedure_id, int(request_id), actor)
    except InvalidInput as exc:
        return _detail_page(request, procedure_id, page, actor,
                            errors={"request_id": exc.problems[0][1]}, status_code=422)  # fmt: skip
    except REFUSED as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/sop/{procedure_id}#now", "sop_linked"), status_code=303)


@router.post("/sop/{procedure_id}/letters/{letter_id}/approve", response_class=HTMLResponse)
def approve_letter(
    request: Request,
    procedure_id: int,
    letter_id: int,
    procedures: ProceduresDep,
    actor: SignedIn,
    confirmed: Annotated[str, Form(max_length=3)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """The Kepala Dinas approves a draft (once asked): it is numbered, issued, and finishes
    its step. From the dashboard's inbox it goes back there."""
    target = safe_next(back) if back else f"/sop/{procedure_id}#letters"
    lang = language(request)
    try:
        view = procedures.get(procedure_id, actor)
        letter = next((lt for lt in view.letters if lt.id == letter_id), None)
        if letter is None:
            raise NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
        if not is_confirmed(confirmed):
            question = translate("sop.confirm.approve", lang, kind=letter.kind_name.in_(lang),
                                 ticket=view.ticket, title=view.title)  # fmt: skip
            return confirm_page(request, actor, question=question,
                                button=translate("sop.approve_letter", lang),
                                fields={"back": back}, back=target)  # fmt: skip
        after = procedures.approve_letter(procedure_id, letter_id, actor)
    except REFUSED as exc:
        return error_page(request, actor, exc)
    issued = next((lt for lt in after.letters if lt.id == letter_id), None)
    # The dashboard's inbox says the number too: the letter is issued by this approval.
    return RedirectResponse(done_url(target, "sop_letter_approved",
                                     name=issued.number if issued else None),
                            status_code=303)  # fmt: skip
