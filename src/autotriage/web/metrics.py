"""``GET /metrics`` and the ingest routes' request metrics (duration, refusals).

The endpoint takes ``Authorization: Bearer $METRICS_TOKEN`` when that is set, else the
API token as ``/api/*`` does; with neither configured it is open, like the API.
"""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autotriage.logs import log_context
from autotriage.metrics import Metrics
from autotriage.sources.registry import REGISTRY
from autotriage.web.ingest import services_of

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """The Prometheus text exposition of this process's registry."""
    settings = services_of(request).settings
    token = settings.metrics_token or settings.api_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                401, "a valid bearer token is required", {"www-authenticate": "Bearer"}
            )
    body = await run_in_threadpool(generate_latest, services_of(request).metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def source_routes() -> list[tuple[BaseRoute, str]]:
    """Every source route with the name of the source it belongs to."""
    found: list[tuple[BaseRoute, str]] = []
    for spec in REGISTRY.values():
        for route in spec.routes() if spec.routes is not None else ():
            if not any(route is known for known, _ in found):
                found.append((route, spec.name))
    return found


class IngestMetrics:
    """ASGI middleware timing each source route and counting the requests it refused."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = source_routes()

    def _match(self, scope: Scope) -> tuple[str, str] | None:
        for route, source in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", "?"), source
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        route, source = found
        status = 500
        started = time.perf_counter()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            with log_context(source=source):
                await self.app(scope, receive, watch)
        finally:
            self.metrics.ingest_duration.labels(route).observe(time.perf_counter() - started)
            if 400 <= status < 500 or status == 503:
                self.metrics.refused(source, status)
