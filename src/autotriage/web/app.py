"""The ASGI application: `create_app(services)`.

Components come from `build_services` and reach the routes through Starlette's typed
lifespan state (`AppState`): a route reads ``services_of(request)``. The lifespan migrates
the store, starts the worker (when enabled: threads on SQLite, a job-engine worker on
PostgreSQL) and the scan schedule, and closes everything on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from autotriage.config import Settings  # create_app(settings): tests and `serve`'s factory
from autotriage.jobs.engine import engine_worker
from autotriage.logs import RequestContext
from autotriage.services import Services, build_services
from autotriage.sources.registry import web_routes
from autotriage.sources.sentry import envelope as sentry_envelope
from autotriage.store import Store
from autotriage.web import errors, openapi
from autotriage.web.ingest import AppState
from autotriage.web.metrics import IngestMetrics
from autotriage.web.metrics import router as metrics_router
from autotriage.web.routes import api, dashboard, github, scans
from autotriage.web.security import SecurityHeaders, ShedWebhooks


def create_app(services: Services | Settings, store: Store | None = None) -> FastAPI:
    """Build the app from `services` (or from settings, building the services here)."""
    if isinstance(services, Settings):
        services = build_services(services, store=store)
    built = services
    server = built.server

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        del app
        built.store.migrate()
        if built.jobs is None:
            if server.worker_enabled:
                built.worker.start()
            built.scans.start_schedule()
        else:
            # PostgreSQL: the work (scans included) runs on the job engine, here too
            if server.worker_enabled:
                built.engine = engine_worker(built.jobs, built.worker, built.work)
                await built.engine.start()
            built.jobs.nudge()  # whatever the inbox already holds
        try:
            yield {"services": built}
        finally:
            if built.engine is not None:
                await built.engine.stop()
                built.engine = None
            built.close()

    app = FastAPI(
        title="autotriage",
        summary="Production errors in, deduplicated GitHub issues out.",
        version="0.1.0",
        lifespan=lifespan,
    )
    # Set once here, never lazily: tests reach the store through these.
    # No trailing-slash redirects: Starlette builds them from the Host header, which the
    # client chooses (an open redirect to any host).
    app.router.redirect_slashes = False
    app.state.services = built
    app.state.store = built.store
    errors.install(app)
    # Innermost: a shed webhook is still timed, counted and given the security headers.
    app.add_middleware(ShedWebhooks, shedder=built.guard.shedder)
    app.add_middleware(sentry_envelope.DsnCors)
    app.add_middleware(IngestMetrics, metrics=built.metrics)
    app.add_middleware(RequestContext)
    # Routes are matched in order: the sources' endpoints (the SDK and exporter ones
    # first) take most of the traffic.
    app.router.routes.extend(web_routes())
    app.include_router(api.router)
    app.include_router(api.protected)
    app.include_router(scans.router)
    app.include_router(github.router)
    app.include_router(metrics_router)
    dashboard.install(app)
    if built.ingest.bench_endpoints:
        app.include_router(sentry_envelope.bench)
    app.add_middleware(SecurityHeaders)  # last: outermost, it sees every answer
    openapi.install(app)
    return app
