"""create_app(): the API, the web pages, and — in `serve` — the worker and scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.limits import MULTIPART_OVERHEAD, BodyLimitMiddleware
from api.routes import (
    admin,
    audit,
    auth,
    deployments,
    dns,
    jobs,
    letters_api,
    public,
    requests,
    review,
)
from api.routes.ops import install_ops
from api.security_headers import SecurityHeadersMiddleware
from api.web import account, opd, pages, team
from provisioner.bootstrap.container import Services, build_services
from provisioner.config import Settings, get_settings
from provisioner.jobs.scheduler import build_scheduler
from provisioner.workflow.letters import MAX_PDF_BYTES


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    run_worker: bool | None = None,
    run_scheduler: bool | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    services = services or build_services(settings)
    run_worker = settings.worker_enabled if run_worker is None else run_worker
    run_scheduler = settings.scheduler_enabled if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_worker:
            services.worker.start()
        if run_scheduler:
            assert services.dispatcher is not None
            scheduler = build_scheduler(
                services.store,
                services.dispatcher.periodic,
                worker_id=services.runner.worker_id,
                lease_seconds=services.settings.scheduler_lease_seconds,
            )
            scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown(wait=False)
            if services.dispatcher is not None:
                services.dispatcher.close()
            if run_worker:
                services.worker.stop()

    app = FastAPI(
        title="provisioner",
        summary="Subdomain dan hosting OPD dari permohonan sampai situs aktif / "
        "Agency subdomains and hosting, from request to live site",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(requests.router)
    app.include_router(jobs.router)
    app.include_router(public.router)
    app.include_router(dns.router)
    app.include_router(deployments.router)
    # Bodies over the limit get 413 before they are read.
    app.add_middleware(
        BodyLimitMiddleware,
        json_max_bytes=settings.json_body_max_bytes,
        multipart_max_bytes=max(settings.upload_max_bytes, MAX_PDF_BYTES) + MULTIPART_OVERHEAD,
    )
    install_ops(app)  # /readyz, /metrics, request ids
    app.add_middleware(SecurityHeadersMiddleware)  # CSP, framing, nosniff, no-store
    app.include_router(auth.router)  # people: sign-in, admin, audit, review steps
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(review.router)
    app.include_router(letters_api.router)  # letter of record, corrections
    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(opd.router)
    app.include_router(team.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
