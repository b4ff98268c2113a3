"""One table from exception to response, and one JSON error shape.

Every error answer is ``{"error": {"code", "message", "request_id"}}``. Bad input is a
4xx with the reason; a 500 means a bug, and even then the body keeps this shape.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from autotriage.errors import Ignored, IntakeError, Overloaded

log = logging.getLogger(__name__)

STORE_RETRY_AFTER = 5  # seconds; PostgreSQL restarts in about that


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers={"x-request-id": request_id, **(headers or {})},
    )


async def _intake_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntakeError)  # noqa: S101 - registered for IntakeError only
    headers = {}
    if isinstance(exc, Overloaded):
        headers["retry-after"] = str(exc.retry_after)
    return error_response(request, exc.status_code, exc.code, exc.reason, headers)


async def _ignored(request: Request, exc: Exception) -> JSONResponse:
    del request
    return JSONResponse({"status": "ignored", "reason": str(exc)}, status_code=200)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    return error_response(request, 400, "invalid_request", f"{where}: {first.get('msg', '')}")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101
    code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error"
    )
    return error_response(request, exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The database is down or restarting: nothing was stored, so the sender must retry.
    # Other database errors are bugs and stay 500s.
    if not isinstance(exc, OperationalError | InterfaceError) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return await _unexpected(request, exc)
    log.warning(
        "store unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return error_response(
        request,
        503,
        "store_unavailable",
        "the database is unavailable; nothing was stored, retry later",
        {"retry-after": str(STORE_RETRY_AFTER)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(request, 500, "internal_error", "internal error; see the server log")


def install(app: FastAPI) -> None:
    """Register the exception table on `app`."""
    app.add_exception_handler(IntakeError, _intake_error)
    app.add_exception_handler(Ignored, _ignored)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(DBAPIError, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
