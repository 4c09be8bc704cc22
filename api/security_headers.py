"""Browser hardening headers on every answer (pure ASGI, no per-request task).

HTML pages get a Content-Security-Policy that allows only this origin (the pages load
their CSS and scripts from /static and carry no inline script or style; the API docs may
set inline styles, nothing more), may not be
framed, and send the referrer only to this origin. Every answer gets `nosniff`. An answer
to a request that carries the session cookie is `Cache-Control: no-store`: a signed-in
page holds a CSRF token and personal data that no shared or back-button cache may keep.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.session import SESSION_COOKIE

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The API docs (api/web/docs.py) are Swagger UI from this service's own files, started by a
# script of ours; Swagger UI sets style attributes on the elements it draws.
DOCS_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs",)


def _has_session_cookie(scope: Scope) -> bool:
    prefix = SESSION_COOKIE.encode() + b"="
    for name, value in scope.get("headers") or []:
        if name == b"cookie" and any(part.strip().startswith(prefix) for part in value.split(b";")):
            return True
    return False


class SecurityHeadersMiddleware:
    """Adds CSP, X-Frame-Options, nosniff, Referrer-Policy and, for a signed-in browser,
    `Cache-Control: no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        signed_in = _has_session_cookie(scope) and not path.startswith("/static/")
        docs = path.startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (signed_in and k.lower() == b"cache-control")
                ]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                extra = [(b"x-content-type-options", b"nosniff")]
                if content_type.startswith(b"text/html"):
                    extra += [
                        (b"content-security-policy", (DOCS_CSP if docs else PAGE_CSP).encode()),
                        (b"x-frame-options", b"DENY"),
                        (b"referrer-policy", b"same-origin"),
                    ]
                if signed_in:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
