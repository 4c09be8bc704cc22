"""Sign-in for browsers (JSON): a session cookie plus the CSRF token for unsafe calls."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import CurrentActor, SettingsDep
from api.presenters import me_out
from api.schemas.people import LoginIn, MeOut, PasswordIn
from api.session import (
    CSRF_HEADER,
    CSRF_REFUSED,
    SESSION_COOKIE,
    ClientIp,
    People,
    end_session,
    session_info,
    start_session,
)
from provisioner.domain.errors import Forbidden
from provisioner.workflow.people.sessions import csrf_matches

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=MeOut)
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    people: People,
    settings: SettingsDep,
    ip: ClientIp,
) -> MeOut:
    """Check the password (lock-out after repeated failures) and set the session cookie."""
    try:
        grant = people.sessions.sign_in(
            body.username,
            body.password,
            client_ip=ip,
            user_agent=request.headers.get("user-agent", ""),
        )
    except Forbidden as exc:
        raise HTTPException(status_code=401, detail=exc.message) from None
    start_session(response, grant, settings)
    return me_out(grant.actor, csrf_token=grant.csrf_token, expires_at=grant.expires_at)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, people: People, ip: ClientIp) -> Response:
    """End the session (needs the CSRF token like any unsafe call of a session)."""
    info = session_info(request)
    token = request.cookies.get(SESSION_COOKIE)
    if info is not None and token:
        if not csrf_matches(info.csrf_token, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status_code=403, detail=CSRF_REFUSED)
        people.sessions.sign_out(token, client_ip=ip)
    out = Response(status_code=204)
    end_session(out)
    return out


@router.get("/me", response_model=MeOut)
def me(request: Request, actor: CurrentActor) -> MeOut:
    """Who is calling; with a session also its CSRF token and when it expires."""
    info = session_info(request) if request.cookies.get(SESSION_COOKIE) else None
    if info is None:
        return me_out(actor)
    return me_out(actor, csrf_token=info.csrf_token, expires_at=info.expires_at)


@router.post("/password", status_code=204)
def change_password(body: PasswordIn, actor: CurrentActor, people: People) -> Response:
    """Change one's own password (the current one is required once one is set)."""
    people.users.set_password(actor, actor.username, body.password, current=body.current_password)
    return Response(status_code=204)
