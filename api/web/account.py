"""Sign-in and sign-out pages, on the people area's sessions (api.session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep
from api.web.pages import safe_next
from api.web.render import render
from api.web.session_bridge import (
    SESSION_COOKIE,
    CsrfProtect,
    OptionalActor,
    client_ip,
    end_session,
    start_session,
)
from provisioner.domain.errors import Forbidden
from provisioner.wiring import Services
from provisioner.workflow.people import PeopleServices

router = APIRouter(include_in_schema=False)


def _people(services: Services) -> PeopleServices:
    assert services.people is not None, "build_services wires the people area"
    return services.people


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    """The sign-in form; a signed-in user goes straight on."""
    if actor is not None:
        return RedirectResponse(safe_next(next or "/requests"), status_code=303)
    return render(request, "login.html", {"next": safe_next(next or "/requests"), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/requests",
) -> Response:
    """Check the password (people area: argon2, lock-out) and start the session."""
    try:
        grant = _people(services).sessions.sign_in(
            username,
            password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except Forbidden as exc:
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": exc.message, "username": username},
            status_code=401,
        )
    resp = RedirectResponse(safe_next(next), status_code=303)
    start_session(resp, grant, services.settings)
    return resp


@router.post("/logout", dependencies=[CsrfProtect])
def logout(request: Request, services: ServicesDep) -> Response:
    """End the session on the server and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        _people(services).sessions.sign_out(token)
    resp = RedirectResponse("/", status_code=303)
    end_session(resp)
    return resp
