"""OTLP/HTTP at the web edge: ``POST /v1/logs`` and ``POST /v1/traces``.

Requests authenticate with an ingest key (``Authorization: Bearer <key>`` or
``X-Autotriage-Key``, what ``OTEL_EXPORTER_OTLP_HEADERS`` sets); anonymous requests get
401. Bodies are protobuf or JSON, optionally gzip (any ``Content-Encoding`` the DSN
endpoints take). Answers follow the OTLP spec: 200 with the export response (carrying
``partial_success`` when records were refused) in the request's encoding; 400 for a
body we cannot read (exporters do not retry it); 413 past the limits; 429 or 503 with
``Retry-After`` under overload; every error body a ``google.rpc.Status`` in the
request's encoding.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autotriage.errors import IntakeError, Overloaded
from autotriage.sources.otlp import export as otlp
from autotriage.web.ingest import IngestGuard, KeyRing, accept, guarded, read_inflated


def bearer_key(request: Request) -> str | None:
    """The ingest key from ``Authorization: Bearer`` or ``X-Autotriage-Key``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-autotriage-key") or None


# gRPC status codes for the HTTP statuses we answer with (google.rpc.Code).
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def status_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An OTLP error answer: a ``google.rpc.Status`` in the request's encoding."""
    code = _GRPC_CODES.get(status, 13)
    if "protobuf" in request.headers.get("content-type", ""):
        text = message.encode()
        body = b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
        media = otlp.PROTOBUF
    else:
        body, media = json.dumps({"code": code, "message": message}).encode(), otlp.JSON
    return Response(body, status_code=status, media_type=media, headers=headers)


async def _export(
    request: Request, signal: str, parser: Callable[[bytes, str], otlp.Export]
) -> Response:
    async def handle(ring: KeyRing, guard: IngestGuard) -> Response:
        info = await ring.resolve(bearer_key(request))
        kind = otlp.media_type(request.headers.get("content-type"))
        body = await read_inflated(request)
        export = parser(body, kind)
        await guard.charge(info, len(export.events))
        if export.events:
            await accept(request, otlp.NAME, export.events)
        media = otlp.PROTOBUF if kind == "protobuf" else otlp.JSON
        return Response(otlp.response_body(signal, export, kind), media_type=media)

    try:
        return await guarded(request, handle)
    except IntakeError as exc:
        headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
        return status_response(request, exc.status_code, exc.reason, headers)


async def logs(request: Request) -> Response:
    """Exceptions (and ERROR-or-worse records) from an OTLP logs export."""
    return await _export(request, "logs", otlp.parse_logs)


async def traces(request: Request) -> Response:
    """Span events named ``exception`` from an OTLP traces export."""
    return await _export(request, "traces", otlp.parse_traces)


# Plain Starlette routes: exporters post often, and FastAPI's per-request parameter
# machinery would cost more than these handlers need.
routes = [
    Route("/v1/logs", logs, methods=["POST"]),
    Route("/v1/traces", traces, methods=["POST"]),
]
