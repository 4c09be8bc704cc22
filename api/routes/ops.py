"""Operations endpoints: readiness, Prometheus metrics, and a request id on every answer."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AppContainer, ContainerDep
from provisioner.domain.actors import ALLOWED, Action
from provisioner.domain.errors import Forbidden
from provisioner.ops.logs import request_id_var
from provisioner.ops.metrics import CONTENT_TYPE, render

router = APIRouter(tags=["ops"])


@router.get("/readyz")
def readyz(container: ContainerDep) -> JSONResponse:
    """Ready to work: the store answers, the schema is at head, a worker runs jobs (503 if not)."""
    result = container.readiness()
    body: dict[str, Any] = {"status": "ready" if result.ready else "not ready", **result.checks}
    return JSONResponse(body, status_code=200 if result.ready else 503)


METRICS_REFUSED = (
    "Metrik memerlukan token tim teknis atau admin / "
    "Metrics need a bearer token of the technical team or an admin"
)


def _may_read_metrics(
    request: Request, container: AppContainer, authorization: str | None
) -> None:
    """`metrics_access=public`: anyone. Otherwise (the default, `token`) a client address in
    `metrics_allow_networks` or a bearer token of a role that operates jobs; else 401."""
    settings = container.settings
    if settings.metrics_access == "public":
        return
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and any(
        address in ipaddress.ip_network(n, strict=False) for n in settings.metrics_allow_networks
    ):
        return
    if authorization and authorization.lower().startswith("bearer "):
        try:
            actor = container.people.users.actor_for_token(authorization[7:].strip())
        except Forbidden:
            actor = None
        if actor is not None and actor.role in ALLOWED[Action.OPERATE]:
            return
        if actor is not None:
            raise HTTPException(status_code=403, detail=METRICS_REFUSED)
    raise HTTPException(
        status_code=401, detail=METRICS_REFUSED, headers={"WWW-Authenticate": "Bearer"}
    )


@router.get("/metrics")
def metrics(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Prometheus exposition: jobs by state, step durations, liveness results, SLA overdue.
    Not public by default: see `metrics_access` (bearer token of the technical team or an
    admin, or an allowed client network)."""
    _may_read_metrics(request, container, authorization)
    return Response(render(container.job_counts), media_type=CONTENT_TYPE)


class RequestIdMiddleware:
    """Gives every HTTP request an id (or keeps the caller's X-Request-ID), puts it in the
    log context and echoes it back. Pure ASGI: no per-request task overhead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode()[:64]
        rid = given or secrets.token_hex(8)
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def install_ops(app: FastAPI) -> None:
    """Add the ops routes and the request-id middleware to the app."""
    app.include_router(router)
    app.add_middleware(RequestIdMiddleware)
