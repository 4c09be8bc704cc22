"""Project errors → HTTP answers: JSON for the API (a 422 names the field and the reason,
like FastAPI's own), the site's error page for a browser asking for a page."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.session import optional_web_actor
from api.validation import install_validation_handler
from api.web.render import render
from api.web.session_bridge import page_csrf
from provisioner.domain.actors import Actor
from provisioner.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ProvisionerError,
    ServerUnreachable,
    TooManyAttempts,
    UnsafeChange,
)

# A server that must be asked first did not answer: not a bad request, try again (503).
STATUS = {
    InvalidInput: 422,
    TooManyAttempts: 429,
    NotFound: 404,
    Conflict: 409,
    UnsafeChange: 409,
    Forbidden: 403,
    ServerUnreachable: 503,
}


def status_of(exc: ProvisionerError) -> int:
    """The HTTP status of one of our errors (400 for any the table does not name)."""
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def wants_page(request: Request) -> bool:
    """A browser asking for one of the site's pages, not a script calling the API."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def error_page(
    request: Request,
    actor: Actor | None,
    exc: ProvisionerError,
    *,
    status_code: int | None = None,
) -> HTMLResponse:
    """The site's error page. A page that catches the error itself gets Forbidden → 403,
    NotFound → 404 and anything else of ours → 409, unless it names the status."""
    code = status_code or (
        403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 409
    )
    return render(
        request,
        "error.html",
        {"message": exc.message, "code": code},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=code,
    )


def _headers(exc: ProvisionerError) -> dict[str, str] | None:
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None


def json_answer(exc: ProvisionerError) -> JSONResponse:
    """The API's answer: every field's reason for bad input, else the message."""
    if isinstance(exc, InvalidInput):
        content: dict[str, object] = {
            "detail": [
                {"loc": ["body", field], "msg": message, "type": "value_error"}
                for field, message in exc.problems
            ]
        }
    else:
        content = {"detail": exc.message}
    return JSONResponse(status_code=status_of(exc), content=content, headers=_headers(exc))


def page_answer(request: Request, exc: ProvisionerError) -> HTMLResponse:
    """A page route's error that the page did not catch, shown on the site's error page with
    the same status the API would answer."""
    page = error_page(request, optional_web_actor(request), exc, status_code=status_of(exc))
    page.headers.update(_headers(exc) or {})
    return page


def install_error_handlers(app: FastAPI) -> None:
    install_validation_handler(app)  # bilingual 422 for malformed input

    @app.exception_handler(ProvisionerError)
    async def _ours(request: Request, exc: ProvisionerError) -> Response:
        return page_answer(request, exc) if wants_page(request) else json_answer(exc)
