"""422 answers for malformed requests, bilingual: Bahasa Indonesia first, then FastAPI's
English, with the field's location — the same shape as the project's InvalidInput."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.gates import refusal_before_body
from provisioner.domain.errors import OutOfRange

_ID: dict[str, str] = {
    "missing": "Wajib diisi",
    "string_too_long": "Terlalu panjang (maks. {max_length} karakter)",
    "string_too_short": "Terlalu pendek (min. {min_length} karakter)",
    "string_pattern_mismatch": "Format tidak sah",
    "string_type": "Harus berupa teks",
    "literal_error": "Pilih salah satu dari: {expected}",
    "enum": "Pilih salah satu dari: {expected}",
    "bool_parsing": "Harus benar atau salah (true/false)",
    "bool_type": "Harus benar atau salah (true/false)",
    "int_parsing": "Harus bilangan bulat",
    "int_type": "Harus bilangan bulat",
    "int_from_float": "Harus bilangan bulat",
    "float_parsing": "Harus angka",
    "greater_than_equal": "Harus ≥ {ge}",
    "greater_than": "Harus > {gt}",
    "less_than_equal": "Harus ≤ {le}",
    "less_than": "Harus < {lt}",
    "date_parsing": "Tanggal tidak sah (YYYY-MM-DD)",
    "date_from_datetime_parsing": "Tanggal tidak sah (YYYY-MM-DD)",
    "date_from_datetime_inexact": "Tanggal tidak sah (YYYY-MM-DD)",
    "date_type": "Tanggal tidak sah (YYYY-MM-DD)",
    "datetime_parsing": "Waktu tidak sah (ISO 8601)",
    "datetime_from_date_parsing": "Waktu tidak sah (ISO 8601)",
    "datetime_type": "Waktu tidak sah (ISO 8601)",
    "extra_forbidden": "Kolom tidak dikenal",
    "json_invalid": "JSON tidak sah",
    "model_attributes_type": "Harus berupa objek JSON",
    "model_type": "Harus berupa objek JSON",
    "dict_type": "Harus berupa objek JSON",
    "list_type": "Harus berupa daftar",
    "value_error": "Nilai tidak sah",
}


def bilingual(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as {loc, msg, type} with an Indonesian message in front."""
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    template = _ID.get(error.get("type", ""), "Nilai tidak sah")
    try:
        indonesian = template.format(**ctx)
    except (KeyError, IndexError):
        indonesian = template.split(" (")[0].split(":")[0]
    return {
        "loc": list(error.get("loc", ())),
        "msg": f"{indonesian} / {error.get('msg', 'Invalid value')}",
        "type": error.get("type", "value_error"),
    }


OUT_OF_RANGE = {
    "loc": ["path"],
    "msg": "Angka di luar jangkauan / Number out of range",
    "type": "value_error",
}


def validation_answer(request: Request, exc: RequestValidationError) -> JSONResponse:
    """The API's 422 (or the role gate's refusal, which comes before the body)."""
    refused = refusal_before_body(request)
    if refused is not None:
        return JSONResponse(
            status_code=refused.status_code,
            content={"detail": refused.detail},
            headers=refused.headers,
        )
    return JSONResponse(status_code=422, content={"detail": [bilingual(e) for e in exc.errors()]})


def install_validation_handler(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_answer(request, exc)

    # An id past the database's 64-bit integers (found by schemathesis): the driver raises
    # before any row is read. It is bad input, not a server fault.
    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, __: OverflowError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [OUT_OF_RANGE]})

    # The same past PostgreSQL's integers: the store translates the driver's error.
    @app.exception_handler(OutOfRange)
    async def _data(_: Request, __: OutOfRange) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [OUT_OF_RANGE]})
