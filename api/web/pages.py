"""Server-rendered pages, Bahasa Indonesia first with English beside it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import ServicesDep
from provisioner.domain.errors import InvalidInput

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, services: ServicesDep, fqdn: str | None = None, label: str | None = None
) -> HTMLResponse:
    status = availability = error = None
    try:
        if fqdn:
            status = services.status.status(fqdn)
        if label:
            availability = services.availability.check(label)
    except InvalidInput as exc:
        error = exc.message
    return templates.TemplateResponse(
        request,
        "home.html",
        {
            "zone": services.settings.zone,
            "status": status,
            "availability": availability,
            "error": error,
            "fqdn": fqdn or "",
            "label": label or "",
        },
    )


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_letter(request: Request, code: str, services: ServicesDep) -> HTMLResponse:
    letter = services.requests.verify_letter(code)
    return templates.TemplateResponse(request, "verify.html", {"letter": letter, "code": code})
