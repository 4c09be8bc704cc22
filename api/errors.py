"""Project errors → HTTP answers. A 422 names the field and the reason, like FastAPI's own."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.validation import install_validation_handler
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
STATUS = {NotFound: 404, Conflict: 409, UnsafeChange: 409, Forbidden: 403, ServerUnreachable: 503}


def install_error_handlers(app: FastAPI) -> None:
    install_validation_handler(app)  # people: bilingual 422 for malformed input

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": ["body", field], "msg": message, "type": "value_error"}
                    for field, message in exc.problems
                ]
            },
        )

    @app.exception_handler(TooManyAttempts)
    async def _throttled(_: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse(
            status_code=429,
            content={"detail": exc.message},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(ProvisionerError)
    async def _domain(_: Request, exc: ProvisionerError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        return JSONResponse(status_code=status, content={"detail": exc.message})
