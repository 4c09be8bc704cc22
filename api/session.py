"""Web sessions for the server-rendered pages: the cookie, the signed-in user, and CSRF
protection on every unsafe method (BSSN 4/2021: secure random session tokens with
time-outs, protection against cross-site request forgery)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response

from provisioner.config import Settings
from provisioner.domain.actors import Actor
from provisioner.workflow.people.services import PeopleServices
from provisioner.workflow.people.sessions import (
    SessionGrant,
    SessionInfo,
    csrf_matches,
    login_csrf_matches,
    login_csrf_token,
)

SESSION_COOKIE = "provisioner_session"
LOGIN_NONCE_COOKIE = "provisioner_login_nonce"  # the sign-in form's pre-session CSRF pair
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_REFUSED = (
    "Token CSRF tidak ada atau tidak cocok; muat ulang halaman / "
    "Missing or wrong CSRF token; reload the page"
)


def people_of(request: Request) -> PeopleServices:
    """Accounts, sessions, audit and SLA clocks, from the app's container (api.deps)."""
    people: PeopleServices = request.app.state.container.people
    return people


def client_ip(request: Request) -> str | None:
    """Where the call came from, for the audit log. Behind a reverse proxy the proxy's
    address is what we see; trusting X-Forwarded-For would let anyone write any address."""
    return request.client.host if request.client else None


def session_info(request: Request) -> SessionInfo | None:
    """The session the cookie names (cached on the request), or None."""
    if hasattr(request.state, "session_info"):
        info: SessionInfo | None = request.state.session_info
        return info
    token = request.cookies.get(SESSION_COOKIE)
    info = people_of(request).sessions.resume(token) if token else None
    request.state.session_info = info
    return info


def optional_web_actor(request: Request) -> Actor | None:
    info = session_info(request)
    return info.actor if info else None


def require_web_actor(request: Request) -> Actor:
    """The signed-in user; otherwise off to the sign-in page, coming back here after."""
    info = session_info(request)
    if info is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise HTTPException(status_code=303, headers={"Location": f"/login?next={target}"})
    return info.actor


async def csrf_protect(request: Request) -> None:
    """On unsafe methods, the form field `csrf_token` or the `X-CSRF-Token` header must
    carry the token bound to the session. Safe methods and requests without a session
    (nothing to ride on) pass."""
    if request.method in SAFE_METHODS:
        return
    info = session_info(request)
    if info is None:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette caches it for the route's own Form()s
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_matches(info.csrf_token, given):
        raise HTTPException(status_code=403, detail=CSRF_REFUSED)


def csrf_token(request: Request) -> str:
    """The token to render into every form ('' when nobody is signed in)."""
    info = session_info(request)
    return info.csrf_token if info else ""


def start_session(response: Response, grant: SessionGrant, settings: Settings) -> None:
    """Set the session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on
    cross-site POSTs), Secure when the service is served over https. No Max-Age: it ends
    with the browser, and the server enforces idle and absolute time-outs anyway."""
    response.set_cookie(
        SESSION_COOKIE,
        grant.token,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_nonce(request: Request) -> str:
    """The browser's sign-in nonce (kept while it has one, so two open tabs both work)."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    return nonce if 20 <= len(nonce) <= 64 and nonce.isascii() else secrets.token_urlsafe(24)


def login_form_token(settings: Settings, nonce: str) -> str:
    """The hidden field of the sign-in form that goes with `nonce`."""
    return login_csrf_token(settings.secret_key, nonce)


def set_login_nonce(response: Response, nonce: str, settings: Settings) -> None:
    """Keep the nonce for the sign-in form's POST (only /login sees it)."""
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        max_age=2 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
        path="/login",
    )


def login_csrf_ok(request: Request, given: str | None, settings: Settings) -> bool:
    """Does the sign-in form's field match the nonce cookie it was served with?"""
    return login_csrf_matches(
        settings.secret_key, request.cookies.get(LOGIN_NONCE_COOKIE), given
    )


WebActor = Annotated[Actor, Depends(require_web_actor)]
OptionalWebActor = Annotated[Actor | None, Depends(optional_web_actor)]
CsrfProtect = Depends(csrf_protect)
ClientIp = Annotated[str | None, Depends(client_ip)]
People = Annotated[PeopleServices, Depends(people_of)]
