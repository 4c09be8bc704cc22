"""create_app(container): the API and the web pages on what the composition root built.
It builds nothing and starts nothing; provisioner.bootstrap.serve runs the worker and the
scheduler around it (its `lifespan`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.deps import AppContainer
from api.errors import install_error_handlers
from api.limits import MULTIPART_OVERHEAD, BodyLimitMiddleware
from api.routes import (
    admin,
    audit,
    auth,
    deployments,
    dns,
    existing_sites,
    jobs,
    letters_api,
    procedures,
    public,
    requests,
    review,
)
from api.routes.ops import install_ops
from api.security_headers import SecurityHeadersMiddleware
from api.web import (
    account,
    admin_pages,
    admin_settings,
    adoption_page,
    dashboard_page,
    docs,
    drift_page,
    existing_sites_page,
    letter_pages,
    opd,
    pages,
    procedure_detail,
    procedure_pages,
    request_pages,
    retire_pages,
    sop_admin_pages,
    team,
)
from provisioner.config import Settings
from provisioner.workflow.letters import MAX_PDF_BYTES

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(container: AppContainer, *, lifespan: Lifespan | None = None) -> FastAPI:
    """The app serving `container`'s services; `lifespan` runs around it (serve.py's
    worker and scheduler), none by default."""
    app = FastAPI(
        title="provisioner",
        # The API reference is developers' documentation: English, like the code (the
        # pages speak the user's language; error messages carry both).
        summary="Agency (OPD) subdomains and hosting, from request to live site",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api/web/docs.py serves Swagger UI from this service, no CDN
        redoc_url=None,
    )
    app.state.container = container
    install_error_handlers(app)
    for module in (requests, jobs, public, dns, deployments, existing_sites, procedures):
        app.include_router(module.router)
    _install_middleware(app, container.settings)
    for module in (auth, admin, audit, review, letters_api, pages, account, opd, team):
        app.include_router(module.router)
    for page_module in (
        request_pages,
        procedure_pages,  # before procedure_detail: /sop/new is not a request's id
        procedure_detail,
        sop_admin_pages,
        letter_pages,
        retire_pages,
        drift_page,
        adoption_page,
        existing_sites_page,
        dashboard_page,
        admin_pages,
        admin_settings,
        docs,
    ):
        app.include_router(page_module.router)
    # Swagger UI's files (a package's copy) before the site's own /static.
    app.mount("/static/swagger", StaticFiles(directory=docs.SWAGGER_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    # Bodies over the limit get 413 before they are read.
    app.add_middleware(
        BodyLimitMiddleware,
        json_max_bytes=settings.json_body_max_bytes,
        multipart_max_bytes=max(settings.upload_max_bytes, MAX_PDF_BYTES) + MULTIPART_OVERHEAD,
    )
    install_ops(app)  # /readyz, /metrics, request ids
    app.add_middleware(SecurityHeadersMiddleware)  # CSP, framing, nosniff, no-store
