"""Dependencies as Annotated aliases (full-stack-fastapi-template deps.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from api.session import CSRF_HEADER, CSRF_REFUSED, SAFE_METHODS, SESSION_COOKIE, session_info
from provisioner.bootstrap.container import Services
from provisioner.domain.actors import Actor
from provisioner.domain.errors import Forbidden
from provisioner.jobs.control import JobUndoService
from provisioner.workflow.letters import LetterService
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.people.sessions import csrf_matches
from provisioner.workflow.people.users import actor_for_token


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def drift_service(services: Services) -> DriftService:
    """The DNS drift service the composition root built (detect, repair)."""
    assert services.drift is not None, "build_services() builds it"
    return services.drift


def letter_service(services: Services) -> LetterService:
    """The one letter service the composition root built (verification, letter of record,
    corrections)."""
    assert services.letters is not None, "build_services() builds it"
    return services.letters


def undo_service(services: Services) -> JobUndoService:
    """The undo of failed provisioning jobs the composition root built."""
    assert services.undo is not None, "build_services() builds it"
    return services.undo


def current_actor(
    request: Request, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """A script's bearer token, or else a signed-in browser's session cookie — which on
    unsafe methods must also carry the session's CSRF token in `X-CSRF-Token`."""
    if authorization and authorization.lower().startswith("bearer "):
        try:
            return actor_for_token(services.store, authorization[7:].strip())
        except Forbidden as exc:
            raise HTTPException(status_code=401, detail=exc.message) from None
    info = session_info(request) if request.cookies.get(SESSION_COOKIE) else None
    if info is not None:
        if request.method not in SAFE_METHODS and not csrf_matches(
            info.csrf_token, request.headers.get(CSRF_HEADER)
        ):
            raise HTTPException(status_code=403, detail=CSRF_REFUSED)
        return info.actor
    raise HTTPException(
        status_code=401,
        detail="Perlu token: Authorization: Bearer <token> / A bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]
