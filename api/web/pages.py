"""Public pages (no sign-in): home with status and availability, the status page of one
subdomain, letter verification by code and by uploaded PDF, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from api import path_params  # noqa: F401 - registers the `anything` convertor
from api.deps import AvailabilityDep, LettersDep, SettingsDep, StatusDep
from api.web.i18n import LANG_COOKIE, LANGUAGES
from api.web.render import STATIC_DIR, render
from api.web.session_bridge import OptionalActor, page_csrf
from provisioner.domain.errors import InvalidInput, NotFound
from provisioner.workflow.letters import MAX_PDF_BYTES

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
    """Is a subdomain live, and is a name free — the two questions asked by phone today."""
    status = availability = error = None
    try:
        if fqdn:
            status = liveness.status(fqdn)
        if label:
            availability = names.check(label)
    except (InvalidInput, NotFound) as exc:
        error = exc.message
    return render(
        request,
        "home.html",
        {
            "zone": settings.zone,
            "status": status,
            "availability": availability,
            "error": error,
            "fqdn": fqdn or "",
            "label": label or "",
        },
        actor=actor,
        csrf=page_csrf(request, actor),
    )


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


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_letter(
    request: Request, code: str, letters: LettersDep, actor: OptionalActor
) -> HTMLResponse:
    """What the letter's QR code opens: the letter's facts, recomputed signature and hash."""
    result = letters.verify(code)
    return render(
        request,
        "verify.html",
        {"v": result, "code": code, "upload": None, "upload_error": None,
         "max_mb": MAX_PDF_BYTES // 1024 // 1024},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=200 if result.found else 404,
    )


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
    result = letters.verify(code)
    return render(
        request,
        "verify.html",
        {"v": result, "code": code, "upload": upload, "upload_error": upload_error,
         "max_mb": MAX_PDF_BYTES // 1024 // 1024},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=422 if upload_error else 200,
    )
