"""Project errors → HTTP answers: JSON for the API (a 422 names the field and the reason,
like FastAPI's own), the site's error page for a browser asking for a page — also for an
address that does not exist (404), a refusal (403) and a fault (500), each with a way on.

The API's messages stay bilingual ("Indonesia / English"), as the job records and the audit
log are; a client that asks for one language with `Accept-Language: en` (or `id`) and
nothing else gets that half. A page always speaks its reader's one language."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.gates import refusal_before_body
from api.session import optional_web_actor
from api.validation import install_validation_handler, validation_answer
from api.web.render import render
from api.web.session_bridge import page_csrf
from provisioner.domain.actors import Actor
from provisioner.domain.bilingual import in_language
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


log = logging.getLogger(__name__)
PAGE_STATUSES = frozenset({403, 404, 405, 422})


def wants_page(request: Request) -> bool:
    """A browser asking for one of the site's pages, not a script calling the API."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def error_page(
    request: Request,
    actor: Actor | None,
    exc: ProvisionerError | None,
    *,
    status_code: int | None = None,
) -> HTMLResponse:
    """The site's error page. A page that catches the error itself gets Forbidden → 403,
    NotFound → 404 and anything else of ours → 409, unless it names the status; without
    an error of ours, the page says what the status means."""
    code = status_code or (
        403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 409
    )
    return render(
        request,
        "error.html",
        {"message": exc.message if exc is not None else "", "code": code},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=code,
    )


def one_language(request: Request) -> str | None:
    """The language a script asked for with Accept-Language, if exactly one of ours."""
    asked = request.headers.get("accept-language", "").strip().lower()
    return asked if asked in ("en", "id") else None


def _headers(exc: ProvisionerError) -> dict[str, str] | None:
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None


def json_answer(exc: ProvisionerError, lang: str | None = None) -> JSONResponse:
    """The API's answer: every field's reason for bad input, else the message — in both
    languages, or in `lang` alone."""

    def said(message: str) -> str:
        return in_language(message, lang) if lang else message

    if isinstance(exc, InvalidInput):
        content: dict[str, object] = {
            "detail": [
                {"loc": ["body", field], "msg": said(message), "type": "value_error"}
                for field, message in exc.problems
            ]
        }
    else:
        content = {"detail": said(exc.message)}
    return JSONResponse(status_code=status_of(exc), content=content, headers=_headers(exc))


def page_answer(request: Request, exc: ProvisionerError) -> HTMLResponse:
    """A page route's error that the page did not catch, shown on the site's error page with
    the same status the API would answer."""
    page = error_page(request, optional_web_actor(request), exc, status_code=status_of(exc))
    page.headers.update(_headers(exc) or {})
    return page


def _status_page(request: Request, code: int, detail: object = None) -> HTMLResponse:
    message = detail if isinstance(detail, str) and code == 403 else ""
    return render(request, "error.html", {"message": message, "code": code},
                  actor=(actor := optional_web_actor(request)), csrf=page_csrf(request, actor),
                  status_code=code)


def install_error_handlers(app: FastAPI) -> None:
    install_validation_handler(app)  # bilingual 422 for malformed input

    @app.exception_handler(ProvisionerError)
    async def _ours(request: Request, exc: ProvisionerError) -> Response:
        if wants_page(request):
            return page_answer(request, exc)
        return json_answer(exc, one_language(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # A browser that asked for a page that is not there (or may not be seen) gets the
        # site's page with a way on; redirects (sign in first) and the API keep theirs.
        if wants_page(request) and exc.status_code in PAGE_STATUSES:
            page = _status_page(request, exc.status_code, exc.detail)
            page.headers.update(exc.headers or {})
            return page
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_page(request) and refusal_before_body(request) is None:
            return _status_page(request, 404 if _in_path(exc) else 422)
        return validation_answer(request, exc)

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        if wants_page(request):
            return _status_page(request, 500)
        return JSONResponse(status_code=500, content={"detail": SERVER_FAULT})


SERVER_FAULT = "Kesalahan pada server; coba lagi nanti / Server error; try again later"


def _in_path(exc: RequestValidationError) -> bool:
    """A malformed address (/requests/abc) is a page that does not exist."""
    return any((e.get("loc") or ("",))[0] == "path" for e in exc.errors())
