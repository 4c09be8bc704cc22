"""The admin's SOP pages: every definition (the shipped presets and the edits), which one
each request type follows, and one definition edited as YAML — stored as its next version,
the schema's refusals shown with their field path. Requests under way keep the version
they started with. Routes call the workflow only."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SopsDep
from api.errors import error_page
from api.web.flash import done_url
from api.web.i18n import language, pick, translate
from api.web.procedure_shared import sop_render
from api.web.session_bridge import CsrfProtect, SignedIn
from provisioner.domain.actors import Action, Actor, ensure_role
from provisioner.domain.errors import InvalidInput, ProvisionerError
from provisioner.domain.sop import RequestType
from provisioner.workflow.procedures.catalog import SopCatalog

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])
MAX_DEFINITION = 200_000  # characters of YAML; the largest preset is about 12 000
# pydantic's English messages as an Indonesian page says them (the start of each).
_SCHEMA_ID = (
    ("Field required", "Wajib diisi"),
    ("Extra inputs are not permitted", "Kolom tidak dikenal"),
    ("String should match pattern", "Format tidak sah; pola"),
    ("String should have at least", "Terlalu pendek"),
    ("String should have at most", "Terlalu panjang"),
    ("Input should be a valid integer", "Harus bilangan bulat"),
    ("Input should be a valid string", "Harus berupa teks"),
    ("Input should be a valid dictionary", "Harus berupa pemetaan (kunci: nilai)"),
    ("Input should be a valid list", "Harus berupa daftar"),
    ("Input should be greater than or equal to", "Harus ≥"),
    ("List should have at least", "Daftar terlalu pendek"),
    ("Input should be", "Harus salah satu dari"),
    ("Value error, ", "Tidak konsisten: "),
)
_LINE = re.compile(r"\(baris / line (\d+)\)")


def schema_message(path: str, message: str, lang: str) -> str:
    """One refusal of the schema in the page's language: the workflow's own pairs by
    half, pydantic's messages by their start; a time limit says how one is written."""
    if path.endswith(".limit") and message.startswith("String should match pattern"):
        return translate("sopadm.limit_format", lang)
    line = _LINE.search(message)
    if line:
        message = _LINE.sub(f"({'line' if lang == 'en' else 'baris'} {line[1]})", message)
    if " / " in message:
        return pick(message, lang)
    if lang == "en":
        return message.removeprefix("Value error, ")
    for english, indonesian in _SCHEMA_ID:
        if message.startswith(english):
            return indonesian + message[len(english) :]
    return message


def _summaries_page(
    request: Request,
    sops: SopCatalog,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        ensure_role(actor, Action.EDIT_SOP)
        summaries = sops.summaries()
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    chosen = {t.value: sops.chosen(t).key for t in RequestType}
    by_type = {t.value: [s for s in summaries if s.request_type is t] for t in RequestType}
    return sop_render(request, "sop_admin.html", {
        "summaries": summaries, "chosen": chosen, "by_type": by_type, "errors": errors or {},
    }, actor, status_code=status_code)  # fmt: skip


@router.get("/admin/sop", response_class=HTMLResponse)
def sop_definitions(request: Request, sops: SopsDep, actor: SignedIn) -> Response:
    """Every SOP definition, and the one each request type follows."""
    return _summaries_page(request, sops, actor)


@router.post("/admin/sop/choice", response_class=HTMLResponse)
def choose_sop(
    request: Request,
    sops: SopsDep,
    actor: SignedIn,
    request_type: Annotated[str, Form(max_length=40)] = "",
    key: Annotated[str, Form(max_length=63)] = "",
) -> Response:
    """New requests of `request_type` follow the SOP `key` (those under way keep theirs)."""
    try:
        kind = RequestType(request_type)
    except ValueError:
        refusal = {request_type or "choice": "Pilih jenis permohonan / Choose a request type"}
        return _summaries_page(request, sops, actor, errors=refusal, status_code=422)
    try:
        sops.choose(kind, key, actor)
    except InvalidInput as exc:
        return _summaries_page(request, sops, actor, errors={request_type: exc.message},
                               status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url("/admin/sop", "sop_chosen", name=key), status_code=303)


def _edit_page(request: Request, sops: SopCatalog, actor: Actor, key: str, *,
               text: str | None = None, problems: list[tuple[str, str]] | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    lang = language(request)
    try:
        ensure_role(actor, Action.EDIT_SOP)
        definition = sops.latest(key)
        body = sops.as_yaml(key) if text is None else text
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    shown = [(path, schema_message(path, message, lang)) for path, message in problems or []]
    return sop_render(request, "sop_edit.html", {
        "definition": definition, "text": body, "problems": shown,
    }, actor, status_code=status_code)  # fmt: skip


@router.get("/admin/sop/{key}", response_class=HTMLResponse)
def edit_sop(request: Request, key: str, sops: SopsDep, actor: SignedIn) -> Response:
    """One definition as YAML to edit, with its steps."""
    return _edit_page(request, sops, actor, key)


@router.post("/admin/sop/{key}", response_class=HTMLResponse)
def save_sop(
    request: Request,
    key: str,
    sops: SopsDep,
    actor: SignedIn,
    definition: Annotated[str, Form(max_length=MAX_DEFINITION)] = "",
) -> Response:
    """Store the edited definition as the next version of `key`; a refusal names the
    field path of each problem, and the text typed stays in the box."""
    try:
        saved = sops.save(definition, actor, key=key)
    except InvalidInput as exc:
        return _edit_page(request, sops, actor, key, text=definition, problems=exc.problems,
                          status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url(f"/admin/sop/{key}", "sop_saved", name=str(saved.version)),
                            status_code=303)  # fmt: skip
