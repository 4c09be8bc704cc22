"""The service's lifecycle: the container, the app on it, and the in-process worker and the
scheduler run around the app (`provisioner serve`) — or alone (`provisioner worker`,
`provisioner scheduler`), until a signal stops them."""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api.app import Lifespan, create_app
from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings, get_settings
from provisioner.jobs.scheduler import build_scheduler

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler


def scheduler_for(container: Container) -> BackgroundScheduler:
    """The leader-elected scheduler that hands periodic work to the dispatcher."""
    return build_scheduler(
        container.store,
        container.dispatcher.periodic,
        worker_id=container.runner.worker_id,
        lease_seconds=container.settings.scheduler_lease_seconds,
    )


def background(container: Container, *, run_worker: bool, run_scheduler: bool) -> Lifespan:
    """The app's lifespan: start the worker and the scheduler it asks for, and stop them —
    and the dispatcher's own periodic runner — when the app stops."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_worker:
            container.worker.start()
        if run_scheduler:
            scheduler = scheduler_for(container)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown(wait=False)
            container.dispatcher.close()
            if run_worker:
                container.worker.stop()

    return lifespan


def serve_app(
    container: Container, *, run_worker: bool | None = None, run_scheduler: bool | None = None
) -> FastAPI:
    """The app with the worker and the scheduler around it; by default as the settings say
    (`worker_enabled`, `scheduler_enabled`)."""
    settings = container.settings
    return create_app(
        container,
        lifespan=background(
            container,
            run_worker=settings.worker_enabled if run_worker is None else run_worker,
            run_scheduler=settings.scheduler_enabled if run_scheduler is None else run_scheduler,
        ),
    )


def app_from_environment() -> FastAPI:
    """`uvicorn provisioner.bootstrap.serve:app_from_environment --factory`: the served app
    on the settings the environment gives (PROVISIONER_*)."""
    return serve_app(build_container(get_settings()))


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    before_start: Callable[[Container], None] | None = None,
) -> None:
    """Build the container and serve the app (uvicorn) until it is stopped; `before_start`
    sees the container first (the CLI shows the lab's demo users there)."""
    import uvicorn

    container = build_container(settings)
    if before_start is not None:
        before_start(container)
    uvicorn.run(serve_app(container), host=host, port=port, log_level="info")


def until_signal(start: Callable[[], None], stop: Callable[[], None]) -> None:
    """Run `start`, wait for SIGTERM or SIGINT, then run `stop`."""
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    start()
    stopped.wait()
    stop()
