"""Dependencies as Annotated aliases (full-stack-fastapi-template deps.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from provisioner.domain.actors import Actor
from provisioner.domain.errors import Forbidden
from provisioner.wiring import Services
from provisioner.workflow.users import actor_for_token


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def current_actor(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(
            status_code=401,
            detail="Perlu token: Authorization: Bearer <token> / A bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return actor_for_token(services.store, authorization[7:].strip())
    except Forbidden as exc:
        raise HTTPException(status_code=401, detail=exc.message) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]
