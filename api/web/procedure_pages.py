"""Requests under an SOP, as pages: the list (an OPD sees its agency's; staff see all, with
the step each waits on, who acts and the step's clock) and the intake form built from the
chosen SOP's intake — its fields by their own names, its documents as uploads — which comes
back with every refusal next to its field and nothing typed lost. Routes call the workflow
only (api.deps aliases)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.deps import ProcedureDocumentsDep, ProceduresDep, SopsDep
from api.errors import error_page
from api.web.flash import done_url
from api.web.listing import ListQuery, paginate
from api.web.procedure_forms import DOC, IntakeForm, intake_errors, read_intake
from api.web.procedure_shared import current_clock, sop_render
from api.web.session_bridge import CsrfProtect, SignedIn
from provisioner.domain.actors import Action, Actor, Role, ensure_role
from provisioner.domain.errors import InvalidInput, ProvisionerError
from provisioner.domain.sop import RequestType, SopDefinition
from provisioner.workflow.procedures.catalog import SopCatalog
from provisioner.workflow.procedures.documents import ProcedureDocuments
from provisioner.workflow.procedures.views import ProcedureView

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

PROCEDURE_SORTS = {
    "created": lambda v: v.created_at,
    "ticket": lambda v: v.ticket,
    "agency": lambda v: v.agency,
    "title": lambda v: v.title,
    "step": lambda v: v.current_step.key if v.current_step else "",
}


def _text(v: ProcedureView) -> str:
    step = v.current_step
    return " ".join([v.ticket, v.title, v.agency, v.sop_key, *v.sop_name,
                     *(step.name if step else ())])  # fmt: skip


@router.get("/sop", response_class=HTMLResponse)
def procedure_list(request: Request, procedures: ProceduresDep, sops: SopsDep,
                   actor: SignedIn) -> Response:  # fmt: skip
    """Requests under an SOP, newest first, with the step each waits on and its clock."""
    try:
        views = procedures.listing(actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    listing = paginate(
        views, ListQuery.of(request.query_params, sort="created", desc=True), path="/sop",
        text=_text, sorts=PROCEDURE_SORTS, state=lambda v: v.ended or "open",
        kind=lambda v: v.request_type,
    )  # fmt: skip
    return sop_render(request, "sop_list.html", {
        "listing": listing,
        "clocks": {v.id: current_clock(v) for v in listing.rows},
        "may_open": actor.role in (Role.OPD, Role.ADMIN),
        "choices": _choices(sops),
    }, actor)  # fmt: skip


def _choices(sops: SopCatalog) -> list[tuple[str, SopDefinition]]:
    """Each request type with the SOP new requests of it follow."""
    return [(t.value, sops.chosen(t)) for t in RequestType]


def _request_type(value: str | None) -> RequestType | None:
    try:
        return RequestType(value or "")
    except ValueError:
        return None


@router.get("/sop/new", response_class=HTMLResponse)
def new_procedure(request: Request, sops: SopsDep, documents: ProcedureDocumentsDep,
                  actor: SignedIn, type: str | None = None) -> Response:  # fmt: skip
    """The intake of the SOP chosen for `type`; without a type, the types to choose from."""
    try:
        ensure_role(actor, Action.SUBMIT)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    request_type = _request_type(type)
    if request_type is None:
        return sop_render(request, "sop_new.html", {"choices": _choices(sops),
                                                    "definition": None}, actor)  # fmt: skip
    values = {"agency": actor.agency or ""} if actor.role is Role.OPD else {}
    return _intake_page(request, sops.chosen(request_type), documents, actor,
                        IntakeForm(values, None, {}))  # fmt: skip


def _intake_page(
    request: Request,
    definition: SopDefinition,
    documents: ProcedureDocuments,
    actor: Actor,
    form: IntakeForm,
    *,
    again: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "definition": definition,
        "v": form.values,
        "errors": form.errors,
        "again": again or [],
        "max_mb": documents.max_bytes // 1024 // 1024,
    }
    return sop_render(request, "sop_new.html", context, actor, status_code=status_code)


async def _intake_files(
    form: FormData, definition: SopDefinition, documents: ProcedureDocuments
) -> tuple[list[tuple[str, str, bytes]], dict[str, str]]:
    """The intake's documents given with the form, each checked as a PDF before anything
    is stored (a bad one is named next to its field)."""
    files: list[tuple[str, str, bytes]] = []
    errors: dict[str, str] = {}
    for kind in definition.intake.documents:
        upload = form.get(DOC + kind)
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = await upload.read(documents.max_bytes + 1)
        try:
            documents.check_pdf(data, max_bytes=documents.max_bytes, field=DOC + kind)
        except InvalidInput as exc:
            errors[DOC + kind] = exc.message
            continue
        files.append((kind, upload.filename, data))
    return files, errors


@router.post("/sop/new", response_class=HTMLResponse)
async def open_procedure(
    request: Request,
    sops: SopsDep,
    procedures: ProceduresDep,
    documents: ProcedureDocumentsDep,
    actor: SignedIn,
) -> Response:
    """Open the request with what the intake asks; its documents are attached to it."""
    form = await request.form()
    request_type = _request_type(str(form.get("request_type") or ""))
    try:
        ensure_role(actor, Action.SUBMIT)
        if request_type is None:
            raise InvalidInput("request_type", "Pilih jenis permohonan / Choose a request type")
        definition = sops.chosen(request_type)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    read = read_intake(form, definition, actor)
    files, file_errors = await _intake_files(form, definition, documents)
    given = [DOC + kind for kind, _, _ in files] + list(file_errors)
    if read.draft is None or file_errors:
        return _intake_page(request, definition, documents, actor,
                            IntakeForm(read.values, None, {**read.errors, **file_errors}),
                            again=given, status_code=422)  # fmt: skip
    try:
        view = procedures.open(read.draft, actor)
    except InvalidInput as exc:
        return _intake_page(request, definition, documents, actor,
                            IntakeForm(read.values, None, intake_errors(exc, definition)),
                            again=given, status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    for kind, filename, data in files:
        try:
            documents.attach(view.id, kind, filename, data, actor)
        except ProvisionerError:  # checked above; what could not be kept is asked for again
            break
    return RedirectResponse(done_url(f"/sop/{view.id}", "sop_opened", name=view.ticket),
                            status_code=303)  # fmt: skip
