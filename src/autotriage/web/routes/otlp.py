"""OTLP/HTTP at the web edge: ``POST /v1/logs`` and ``POST /v1/traces``.

Requests authenticate with an ingest key (``Authorization: Bearer <key>`` or
``X-Autotriage-Key``, what ``OTEL_EXPORTER_OTLP_HEADERS`` sets); anonymous requests get
401. Bodies are protobuf or JSON, optionally gzip (any ``Content-Encoding`` the DSN
endpoints take). Answers follow the OTLP spec: 200 with the export response (carrying
``partial_success`` when records were refused) in the request's encoding; 400 for a
body we cannot read (exporters do not retry it); 413 past the limits; 429 with
``Retry-After`` under overload.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autotriage.sources import otlp
from autotriage.web.ingest import accept, read_inflated
from autotriage.web.keyauth import RateLimited, ingest_state, rate_limited_response

router = APIRouter()


def bearer_key(request: Request) -> str | None:
    """The ingest key from ``Authorization: Bearer`` or ``X-Autotriage-Key``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-autotriage-key") or None


async def _export(
    request: Request, signal: str, parser: Callable[[bytes, str], otlp.Export]
) -> Response:
    ring, guard = ingest_state(request)
    try:
        guard.enter()
    except RateLimited as exc:
        return rate_limited_response(request, exc)
    try:
        info = await ring.resolve(bearer_key(request))
        kind = otlp.media_type(request.headers.get("content-type"))
        body = await read_inflated(request)
        export = parser(body, kind)
        guard.charge(info, len(export.events))
        if export.events:
            await accept(request, otlp.NAME, export.events)
    except RateLimited as exc:
        return rate_limited_response(request, exc)
    finally:
        guard.leave()
    media = otlp.PROTOBUF if kind == "protobuf" else otlp.JSON
    return Response(otlp.response_body(signal, export, kind), media_type=media)


@router.post("/v1/logs")
async def logs(request: Request) -> Response:
    """Exceptions (and ERROR-or-worse records) from an OTLP logs export."""
    return await _export(request, "logs", otlp.parse_logs)


@router.post("/v1/traces")
async def traces(request: Request) -> Response:
    """Span events named ``exception`` from an OTLP traces export."""
    return await _export(request, "traces", otlp.parse_traces)
