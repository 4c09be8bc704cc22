"""The API's interactive documentation, served from this service alone (an agency's
network may have no Internet): Swagger UI's files come from the `swagger-ui-bundle-v2`
package (Apache-2.0, its licence ships with the package) under /static/swagger, started
by a script of ours — no inline script, no CDN. Also the site's icon."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from api.web.render import STATIC_DIR, render

SWAGGER_DIR = Path(swagger_ui_path)
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI on /openapi.json, with this service's own copy of its files."""
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url})


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on their own; the pages name the SVG icon."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
