"""Sign-in and sign-out pages, on the web sessions of api.session."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SettingsDep
from api.session import (
    CSRF_REFUSED,
    People,
    login_csrf_ok,
    login_form_token,
    login_nonce,
    set_login_nonce,
)
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
from provisioner.config import Settings
from provisioner.domain.errors import Forbidden, TooManyAttempts

router = APIRouter(include_in_schema=False)


def _login_form(
    request: Request,
    settings: Settings,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in form with its pre-session CSRF token (and the nonce cookie it pairs)."""
    nonce = login_nonce(request)
    token = login_form_token(settings, nonce)
    resp = render(
        request, "login.html", {**context, "login_csrf": token}, status_code=status_code
    )
    set_login_nonce(resp, nonce, settings)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, settings: SettingsDep, actor: OptionalActor, next: str | None = None
) -> Response:
    """The sign-in form; a signed-in user goes straight on."""
    if actor is not None:
        return RedirectResponse(safe_next(next or "/requests"), status_code=303)
    return _login_form(request, settings, {"next": safe_next(next or "/requests"), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    settings: SettingsDep,
    people: People,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/requests",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the form's CSRF token (a page of another site must not sign the browser in
    to an account of its choosing), then the password (argon2, lock-out, per-address
    throttle) and start the session."""
    form = {"next": safe_next(next), "username": username}
    if not login_csrf_ok(request, csrf_token, settings):
        return _login_form(request, settings, {**form, "error": CSRF_REFUSED}, status_code=403)
    try:
        grant = people.sessions.sign_in(
            username,
            password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except TooManyAttempts as exc:
        return _login_form(
            request,
            settings,
            {**form, "error": exc.message},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except Forbidden as exc:
        return _login_form(request, settings, {**form, "error": exc.message}, status_code=401)
    resp = RedirectResponse(safe_next(next), status_code=303)
    start_session(resp, grant, settings)
    return resp


@router.post("/logout", dependencies=[CsrfProtect])
def logout(request: Request, people: People) -> Response:
    """End the session on the server and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        people.sessions.sign_out(token)
    resp = RedirectResponse("/", status_code=303)
    end_session(resp)
    return resp
