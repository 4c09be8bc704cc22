"""The web pages' view of sign-in, built on `api.session` (sessions, CSRF). This module
only adapts names for the pages; it implements no authentication."""

from __future__ import annotations

from fastapi import Request

from api.session import (
    SESSION_COOKIE,
    CsrfProtect,
    OptionalWebActor,
    WebActor,
    client_ip,
    csrf_token,
    end_session,
    start_session,
)
from provisioner.domain.actors import Actor

__all__ = [
    "SESSION_COOKIE",
    "CsrfProtect",
    "OptionalActor",
    "SignedIn",
    "client_ip",
    "end_session",
    "page_csrf",
    "start_session",
]

OptionalActor = OptionalWebActor
SignedIn = WebActor


def page_csrf(request: Request, actor: Actor | None) -> str:
    """The CSRF token to render into this page's forms ('' when nobody is signed in)."""
    return csrf_token(request) if actor is not None else ""
