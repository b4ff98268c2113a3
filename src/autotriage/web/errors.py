"""One table from exception to response, and one JSON error shape.

`TABLE` (with the status each `IntakeError` carries) answers every class of the tree in
`autotriage.errors`. Every error answer is ``{"error": {"code", "message", "request_id"}}``.
Bad input is a 4xx with the reason; a 500 means a bug, and even then the body keeps this
shape.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from autotriage.errors import (
    ActionFailed,
    AutotriageError,
    ConfigError,
    GitError,
    Ignored,
    IntakeError,
    Overloaded,
    ScanBusy,
    ScanStopped,
    SourceError,
)

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

STORE_RETRY_AFTER = 5  # seconds; PostgreSQL restarts in about that


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape."""
    given = request.headers.get("x-request-id", "")
    # Echo a caller's request id only when it is a plain token: never markup or a novel.
    request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers={"x-request-id": request_id, **(headers or {})},
    )


# The one table: every class in `autotriage.errors` that can reach a request, most
# specific first. IntakeError subclasses carry their own status and code.
TABLE: tuple[tuple[type[AutotriageError], int, str], ...] = (
    (ScanBusy, 409, "scan_running"),
    (ScanStopped, 503, "stopping"),
    (ConfigError, 503, "not_configured"),
    (SourceError, 502, "source_failed"),
    (ActionFailed, 502, "action_failed"),
    (GitError, 502, "git_failed"),
)


def _headers(exc: AutotriageError) -> dict[str, str]:
    if not isinstance(exc, Overloaded):
        return {}
    headers = {"retry-after": str(exc.retry_after)}
    if exc.scope is not None:
        headers["x-sentry-rate-limits"] = sentry_rate_limits(exc)
    return headers


def overloaded_response(request: Request, exc: Overloaded) -> JSONResponse:
    """The answer to shed load: the error shape, with ``Retry-After`` (and
    ``X-Sentry-Rate-Limits`` when `exc` has a scope), as the table gives it."""
    return error_response(request, exc.status_code, exc.code, exc.reason, _headers(exc))


def sentry_rate_limits(exc: Overloaded) -> str:
    """``X-Sentry-Rate-Limits`` for `exc`: ``retry_after:categories:scope:reason_code``.

    Categories empty means every kind of data, so an SDK holds all of it back for
    `retry_after` seconds (https://develop.sentry.dev/sdk/rate-limiting/).
    """
    limit = f"{exc.retry_after}::{exc.scope or 'organization'}"
    return f"{limit}:{exc.reason_code}" if exc.reason_code else limit


async def _autotriage_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AutotriageError)  # noqa: S101 - registered for AutotriageError only
    if isinstance(exc, Ignored):
        return JSONResponse({"status": "ignored", "reason": exc.reason}, status_code=200)
    if isinstance(exc, IntakeError):
        return error_response(request, exc.status_code, exc.code, exc.reason, _headers(exc))
    for kind, status, code in TABLE:
        if isinstance(exc, kind):
            log.warning(
                "%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc
            )
            return error_response(request, status, code, str(exc))
    return await _unexpected(request, exc)


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


async def _client_gone(request: Request, exc: Exception) -> JSONResponse:  # noqa: ARG001
    # A sender that hangs up mid-body (a timeout, a slow client giving up) is no bug: a
    # traceback per hang-up would let anyone flood the log. Nothing was read or stored.
    log.info("client went away during %s %s", request.method, request.url.path)
    return error_response(request, 400, "client_disconnected", "the client went away mid-request")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(request, 500, "internal_error", "internal error; see the server log")


def install(app: FastAPI) -> None:
    """Register the exception table on `app`."""
    app.add_exception_handler(AutotriageError, _autotriage_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(DBAPIError, _store_unavailable)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
