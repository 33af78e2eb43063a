"""The one JSON error envelope: ``{"error": {"code", "message", "details"}}`` for every error."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from townhall.service.errors import DatabaseBusy, DatabaseUnavailable, RateLimited, ServiceError

log = logging.getLogger("townhall.web")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 408: "request_timeout", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 503: "unavailable",
}


def envelope(status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers)


def _clean_validation(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for err in errors[:20]:
        out.append({"loc": [str(p) for p in err.get("loc", ())], "message": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return envelope(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(422, "invalid", "The request is not valid.", _clean_validation(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return envelope(exc.status_code, code, message, None, dict(exc.headers or {}))

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # JSON lets a client send lone surrogates ("\\ud800"); they cannot be stored or rendered.
        log.info("refused text that is not valid Unicode: %s", exc.reason)
        return envelope(422, "invalid", "The text contains characters that are not valid Unicode.")

    # A safety net behind the validation at the boundary (web/inputs.py): a value the database itself refuses
    # (PostgreSQL: NUL in text, a number out of range, text longer than its column; SQLite: an integer over
    # 64 bits) is the client's error. The transaction it happened in has been rolled back by then (the
    # ``with db.write()`` block was left by the exception), so nothing of the request was written.
    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        log.warning("the database refused a value: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return _refused_value()

    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        if "SQLite INTEGER" not in str(exc):  # only the SQLite driver's refusal is the client's error
            log.error("unexpected error", exc_info=exc)
            return _internal()
        log.warning("the database refused a value: %s", exc)
        return _refused_value()

    @app.exception_handler(DatabaseBusy)
    async def _busy(_: Request, exc: DatabaseBusy) -> JSONResponse:
        log.warning("write transaction rolled back by the database, to be sent again: %s", exc)
        return envelope(503, "busy", "Another change to the same thing got in the way; nothing was saved. Please send it "
                        "again.", None, {"Retry-After": "1"})

    @app.exception_handler(DatabaseUnavailable)
    async def _db(_: Request, exc: DatabaseUnavailable) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return envelope(503, "unavailable", "The database is unavailable; please try again shortly.", None, {"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _internal()


def _refused_value() -> JSONResponse:
    return envelope(422, "invalid", "A value in the request cannot be stored (too long, out of range, or containing NUL).")


def _internal() -> JSONResponse:
    return envelope(500, "internal", "Something went wrong on our side; it has been logged.")
