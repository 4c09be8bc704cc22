"""Public pages (no sign-in): home with status and availability, the status page of one
subdomain, letter verification by code and by uploaded PDF, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import path_params  # noqa: F401 - registers the `anything` convertor
from api.deps import AvailabilityDep, LettersDep, SettingsDep, StatusDep
from api.web.i18n import LANG_COOKIE, LANGUAGES
from api.web.render import STATIC_DIR, render
from api.web.session_bridge import OptionalActor, page_csrf
from provisioner.domain.actors import Actor
from provisioner.domain.errors import InvalidInput, NotFound
from provisioner.workflow.letters import MAX_PDF_BYTES, LetterVerification, UploadCheck

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a local path may be a redirect target (no open redirect to another site)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    """Keep the chosen language in a cookie for a year and go back to the page."""
    resp = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return resp


def complete_name(name: str, zone: str) -> str:
    """What was typed in the status field: a bare label means the label in the zone."""
    name = name.strip().lower().rstrip(".")
    return name if "." in name or not name else f"{name}.{zone}"


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    settings: SettingsDep,
    liveness: StatusDep,
    names: AvailabilityDep,
    actor: OptionalActor,
    fqdn: str | None = None,
    label: str | None = None,
) -> HTMLResponse:
    """What the service is and how an agency applies; is a subdomain live, is a name free
    — the two questions asked by phone today."""
    context: dict[str, Any] = {"zone": settings.zone, "status": None, "availability": None,
                               "status_error": None, "avail_error": None}
    fqdn = complete_name(fqdn, settings.zone) if fqdn else ""
    try:
        if fqdn:
            context["status"] = liveness.status(fqdn)
    except (InvalidInput, NotFound) as exc:
        context["status_error"] = exc.message
    try:
        if label:
            context["availability"] = names.check(label.strip())
    except (InvalidInput, NotFound) as exc:
        context["avail_error"] = exc.message
    context.update(fqdn=fqdn, label=(label or "").strip())
    return render(request, "home.html", context, actor=actor, csrf=page_csrf(request, actor))


@router.get("/site/{fqdn:anything}", response_class=HTMLResponse)
def site_status_page(
    request: Request, fqdn: str, liveness: StatusDep, actor: OptionalActor
) -> HTMLResponse:
    """The public status page of one subdomain: live or not, name servers, HTTP, TLS, when.
    A malformed name is a 422 page with the reason, a name not in the registry a 404 page;
    neither asks any server."""
    status = error = None
    code = 200
    history: list[dict[str, Any]] = []
    try:
        status = liveness.status(fqdn)
        history = liveness.history(fqdn, limit=12)
    except InvalidInput as exc:
        error, code = exc.message, 422
    except NotFound as exc:
        error, code = exc.message, 404
    return render(
        request,
        "site_status.html",
        {"status": status, "error": error, "fqdn": fqdn, "history": history},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=code,
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_form(
    request: Request, actor: OptionalActor, code: str | None = None
) -> Response:
    """Type the code printed on a letter (the QR code opens /verify/<code> directly)."""
    code = (code or "").strip().upper()
    if code:
        return RedirectResponse(f"/verify/{quote(code[:40], safe='')}", status_code=303)
    return render(request, "verify.html", {"v": None, "code": ""}, actor=actor,
                  csrf=page_csrf(request, actor))


def _verify_page(
    request: Request,
    actor: Actor | None,
    result: LetterVerification,
    code: str,
    *,
    upload: UploadCheck | None = None,
    upload_error: str | None = None,
) -> HTMLResponse:
    status = 404 if not result.found else 422 if upload_error else 200
    return render(
        request,
        "verify.html",
        {"v": result, "code": code, "upload": upload, "upload_error": upload_error,
         "max_mb": MAX_PDF_BYTES // 1024 // 1024},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status,
    )


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_letter(
    request: Request, code: str, letters: LettersDep, actor: OptionalActor
) -> HTMLResponse:
    """What the letter's QR code opens: the letter's facts, recomputed signature and hash;
    an unknown code gets the field to type it again."""
    return _verify_page(request, actor, letters.verify(code), code)


@router.post("/verify/{code}", response_class=HTMLResponse)
async def verify_upload(
    request: Request,
    code: str,
    letters: LettersDep,
    actor: OptionalActor,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Upload a PDF to compare with the issued letter (and the TTE letter of record).

    Public and sessionless by design — it changes nothing — so it needs no CSRF token.
    """
    data = await file.read(MAX_PDF_BYTES + 1)
    upload = upload_error = None
    try:
        upload = letters.check_upload(code, data)
    except (InvalidInput, NotFound) as exc:
        upload_error = exc.message
    return _verify_page(request, actor, letters.verify(code), code, upload=upload,
                        upload_error=upload_error)
