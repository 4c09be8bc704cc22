"""Request bodies are refused with 413 before they are read whole: at once from a
Content-Length over the limit (the route never runs, not a byte of the body is read), and
by counting the bytes as they arrive when there is no Content-Length (chunked). JSON and
plain forms get `json_body_max_bytes` (1 MB); multipart uploads get room for the largest
PDF upload plus the form around it."""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Text fields, boundaries and part headers of a multipart form around its one file.
MULTIPART_OVERHEAD = 256 * 1024
TOO_LARGE = "Isi permintaan terlalu besar (maks. {limit}) / Request body too large (max {limit})"
# Tells the server to close the connection instead of draining the rest of the body.
_CLOSE = {"Connection": "close"}


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n / mib:g} MB" if n >= mib else f"{n // 1024} KiB"


class BodyLimitMiddleware:
    """Pure ASGI; the limit depends on the Content-Type (multipart or anything else)."""

    def __init__(self, app: ASGIApp, *, json_max_bytes: int, multipart_max_bytes: int) -> None:
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.multipart_max_bytes = multipart_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.multipart_max_bytes if multipart else self.json_max_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read: FastAPI passes HTTPExceptions on,
                    # the exception middleware answers 413 before the rest is read.
                    raise HTTPException(413, TOO_LARGE.format(limit=_size(limit)), _CLOSE)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, limit: int) -> None:
    """413 in the API's error shape, sent before the app runs."""
    body = json.dumps({"detail": TOO_LARGE.format(limit=_size(limit))}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

