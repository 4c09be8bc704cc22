"""The admin's pages for the working calendar and SLA limits, and the audit log (admin and
approver): its entries to search and page through, the chain's verification and the
export. Routes call the workflow only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from api.errors import error_page
from api.session import People
from api.web.flash import done_url
from api.web.listing import ListQuery, paginate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Actor
from provisioner.domain.errors import InvalidInput, ProvisionerError
from provisioner.workflow.people.services import PeopleServices

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])
AUDIT_LIMIT = 2000
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def _calendar_page(
    request: Request,
    people: PeopleServices,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        view = people.sla.settings_view(actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return render(request, "admin_calendar.html",
                  {"view": view, "errors": errors or {}, "v": values or {}, "zones": ZONES},
                  actor=actor, csrf=page_csrf(request, actor), status_code=status_code)


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar(request: Request, people: People, actor: SignedIn) -> Response:
    """The working calendar's overrides and the SLA limits, with the forms to change them."""
    return _calendar_page(request, people, actor)


@router.post("/admin/calendar", response_class=HTMLResponse)
def set_day(
    request: Request,
    people: People,
    actor: SignedIn,
    day: Annotated[str, Form(max_length=10)] = "",
    kind: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A regional day off, or a listed holiday that is worked after all."""
    values = {"day": day, "kind": kind, "note": note}
    try:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("day", "Tanggal tidak sah (YYYY-MM-DD) / Invalid date "
                                      "(YYYY-MM-DD)") from None  # fmt: skip
        people.sla.set_day(actor, when, kind, note)
    except InvalidInput as exc:
        return _calendar_page(request, people, actor, errors=dict(exc.problems),
                              values=values, status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url("/admin/calendar", "day_set", name=day), status_code=303)


@router.post("/admin/sla", response_class=HTMLResponse)
async def set_limits(request: Request, people: People, actor: SignedIn) -> Response:
    """Per-agency SLA limits (working minutes per step) and the agency's time zone."""
    form = await request.form()
    agency = str(form.get("agency") or "").strip()
    timezone = str(form.get("timezone") or "") or None
    limits: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key, value in form.items():
        if key.startswith("limit_") and str(value).strip():
            text = str(value).strip()
            if not text.isdigit() or len(text) > 6:
                errors[key] = (
                    "Menit kerja: bilangan bulat > 0 / Working minutes: a whole number > 0"
                )
            else:
                limits[key.removeprefix("limit_")] = int(text)
    if not agency:
        errors["agency"] = "Wajib diisi / Required"
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        if errors:
            raise InvalidInput.of(list(errors.items()))
        people.sla.set_agency_limits(actor, agency, limits, timezone)
    except InvalidInput as exc:
        return _calendar_page(request, people, actor, errors=dict(exc.problems),
                              values=values, status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url("/admin/calendar", "sla_set", name=agency), status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(request: Request, people: People, actor: SignedIn) -> Response:
    """The newest audit entries to search, filter by action and page through, with the
    result of verifying the whole hash chain and the export."""
    try:
        report = people.audit.verify_as(actor)
        entries = people.audit.recent(actor, limit=AUDIT_LIMIT)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    listing = paginate(
        entries, ListQuery.of(request.query_params, sort="seq", desc=True), path="/admin/audit",
        text=lambda e: f"{e['actor']} {e['action']} {e['request_id'] or ''} {e['detail'] or ''}",
        sorts={"seq": lambda e: e["seq"] or 0, "actor": lambda e: e["actor"],
               "action": lambda e: e["action"]},
        state=lambda e: str(e["action"]).split(":", 1)[0], page_size=50,
    )  # fmt: skip
    return render(request, "admin_audit.html",
                  {"listing": listing, "report": report, "limit": AUDIT_LIMIT},
                  actor=actor, csrf=page_csrf(request, actor))


@router.get("/admin/audit/export")
def audit_export(
    request: Request, people: People, actor: SignedIn, format: str = "csv"
) -> Response:
    """The whole log as CSV or JSON, with its hashes, for an auditor to re-check."""
    try:
        body = people.audit.export_as(actor, format)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    media = "text/csv" if format == "csv" else "application/json"
    return PlainTextResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="audit.{format}"'})
