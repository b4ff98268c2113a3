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

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autotriage.sources import otlp
from autotriage.web.ingest import accept, read_inflated
from autotriage.web.keyauth import IngestGuard, KeyRing, guarded


def bearer_key(request: Request) -> str | None:
    """The ingest key from ``Authorization: Bearer`` or ``X-Autotriage-Key``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-autotriage-key") or None


async def _export(
    request: Request, signal: str, parser: Callable[[bytes, str], otlp.Export]
) -> Response:
    async def handle(ring: KeyRing, guard: IngestGuard) -> Response:
        info = await ring.resolve(bearer_key(request))
        kind = otlp.media_type(request.headers.get("content-type"))
        body = await read_inflated(request)
        export = parser(body, kind)
        guard.charge(info, len(export.events))
        if export.events:
            await accept(request, otlp.NAME, export.events)
        media = otlp.PROTOBUF if kind == "protobuf" else otlp.JSON
        return Response(otlp.response_body(signal, export, kind), media_type=media)

    return await guarded(request, handle)


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
