"""The agency's pages for asking: the list of requests (search, filter, sort, pages) and
the new-request form, whose every problem comes back at once, next to its field, with
what was typed kept. Routes call the workflow only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as FormUpload  # what request.form() returns

from api.deps import AvailabilityDep, DocumentsDep, IntakeDep, QueriesDep, SettingsDep
from api.web.flash import done_url
from api.web.forms import FIELDS, RequestForm, read_request_form
from api.web.listing import ListQuery, paginate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, client_ip, page_csrf
from provisioner.config import Settings
from provisioner.domain.actors import Actor
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, ServerUnreachable
from provisioner.domain.requests import REQUEST_TYPES, SITE_KINDS, RequestDraft
from provisioner.workflow.letters import MAX_PDF_BYTES
from provisioner.workflow.read_models import RequestView
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.documents import LetterScans
from provisioner.workflow.requests.intake import RequestIntake

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

REQUEST_SORTS = {
    "created": lambda r: r.created_at,
    "ticket": lambda r: r.ticket,
    "name": lambda r: r.fqdn,
    "agency": lambda r: r.agency,
    "state": lambda r: r.state,
}


def request_text(r: RequestView) -> str:
    """What a search looks in: ticket, name, agency, contact, letter number, purpose."""
    return " ".join((r.ticket, r.fqdn, r.agency, r.contact_name, r.letter_number, r.purpose))


def agency_today(settings: Settings) -> date:
    """Today in the agency's time zone (the letter date's default)."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, queries: QueriesDep, actor: SignedIn) -> HTMLResponse:
    """An OPD's own requests (other roles: every request), newest first, to search,
    filter by state and type, sort and page through."""
    query = ListQuery.of(request.query_params, sort="created", desc=True)
    listing = paginate(
        queries.list(actor), query, path="/requests", text=request_text, sorts=REQUEST_SORTS,
        state=lambda r: r.state, kind=lambda r: r.request_type,
    )  # fmt: skip
    return render(request, "requests.html", {"listing": listing}, actor=actor,
                  csrf=page_csrf(request, actor))


@dataclass(frozen=True)
class Intake:
    """What the new-request form uses: intake, the name check, the scan's PDF check."""

    intake: RequestIntake
    names: AvailabilityService
    documents: LetterScans
    settings: Settings


def _intake(
    intake: IntakeDep, names: AvailabilityDep, documents: DocumentsDep, settings: SettingsDep
) -> Intake:
    return Intake(intake, names, documents, settings)


IntakeForm = Annotated[Intake, Depends(_intake)]


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_form(
    request: Request, settings: SettingsDep, actor: SignedIn, label: str = ""
) -> HTMLResponse:
    """The new-request form; the name is checked as it is typed (static/js/availability.js)."""
    values = {"agency": actor.agency or "", "branch": "main", "hosting": True,
              "db_wanted": True, "label": label.strip()[:63],
              "letter_date": agency_today(settings).isoformat()}  # fmt: skip
    return _form(request, settings, actor, values, {})


def _form(
    request: Request,
    settings: Settings,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    scan_name: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "request_new.html",
        {
            "v": values,
            "errors": errors,
            "request_types": REQUEST_TYPES,
            "site_kinds": SITE_KINDS,
            "zone": settings.zone,
            "optional": FIELDS,
            "max_mb": MAX_PDF_BYTES // 1024 // 1024,
            "scan_name": scan_name,
            "today": agency_today(settings).isoformat(),
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


_PLACEHOLDER: dict[str, Any] = {
    "label": "", "agency": "-", "purpose": "-", "contact_name": "-",
    "contact_email": "-", "letter_number": "-",
}  # fmt: skip


def _problems(read: RequestForm, page: Intake, actor: Actor) -> dict[str, str]:
    """The rules the workflow applies (naming, e-mail, NIP, the letter's age …) and the
    name's availability, for every field that passed its own rule: one round, not three."""
    draft = RequestDraft(**{
        **_PLACEHOLDER, "letter_date": agency_today(page.settings),
        "hosting": bool(read.values.get("hosting")), **read.fields,
    })  # fmt: skip
    found = {f: m for f, m in page.intake.problems(draft) if f not in read.errors}
    label = read.fields.get("label") or ""
    unchecked = "label" not in read.errors and "label" not in found
    if label and unchecked and draft.request_type == "new":
        verdict = page.names.check(label, agency=draft.agency)
        if verdict.available is not True:
            found["label"] = "; ".join(verdict.reasons)
    return found


async def _scan(form: Any, page: Intake) -> tuple[str, bytes, str | None]:
    """The chosen scan: its name, bytes, and why it is refused (checked before anything)."""
    scan = form.get("letter_scan")
    if not isinstance(scan, FormUpload) or not scan.filename:
        return "", b"", None
    data = await scan.read(MAX_PDF_BYTES + 1)
    try:
        page.documents.check_pdf(data, max_bytes=page.documents.max_bytes)
    except InvalidInput as exc:
        return scan.filename, b"", exc.message
    return scan.filename, data, None


@router.post("/requests/new", response_class=HTMLResponse)
async def submit_request(request: Request, page: IntakeForm, actor: SignedIn) -> Response:
    """Submit the form, read by the JSON body's model (api.web.forms). Every refusal comes
    back on the form at once, next to its field; the chosen scan must be chosen again."""
    form = await request.form()
    read = read_request_form(form, actor)
    errors = {**read.errors, **_problems(read, page, actor)}
    scan_name, scan_bytes, scan_error = await _scan(form, page)
    if scan_error:
        errors["letter_scan"] = scan_error
    if not errors and read.request is not None:
        try:
            draft = RequestDraft(**read.request.model_dump())
            req = page.intake.submit(draft, actor, client_ip=client_ip(request))
            if scan_bytes:
                page.documents.attach(req.id, scan_bytes, actor)
            return RedirectResponse(done_url(f"/requests/{req.id}", "submitted"), status_code=303)
        except InvalidInput as exc:
            errors.update(exc.problems)
        except ServerUnreachable as exc:  # the code server could not be asked
            errors["repo"] = exc.message
        except (Forbidden, Conflict) as exc:
            errors["label"] = exc.message
    shown = scan_name if scan_bytes or scan_error else ""
    return _form(request, page.settings, actor, read.values, errors, scan_name=shown,
                 status_code=422)
