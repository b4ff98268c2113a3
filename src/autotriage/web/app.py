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

from autotriage.config import Settings
from autotriage.jobs.engine import engine_worker
from autotriage.services import Services, build_services
from autotriage.store import Store
from autotriage.web import errors
from autotriage.web.cors import DsnCors
from autotriage.web.routes import api, aws, dashboard, github, scans, slack, webhooks
from autotriage.web.routes import generic as generic_routes
from autotriage.web.routes import otlp as otlp_routes
from autotriage.web.routes import sentry as sentry_routes
from autotriage.web.state import AppState


def create_app(services: Services | Settings, store: Store | None = None) -> FastAPI:
    """Build the app from `services` (or from settings, building the services here)."""
    if isinstance(services, Settings):
        services = build_services(services, store=store)
    built = services
    settings = built.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        del app
        built.store.migrate()
        if built.jobs is None:
            if settings.worker_enabled:
                built.worker.start()
            built.scans.start_schedule()
        else:
            # PostgreSQL: the work (scans included) runs on the job engine, here too
            if settings.worker_enabled:
                built.engine = engine_worker(built.jobs, built.worker)
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
    app.state.services = built
    app.state.settings = settings
    app.state.store = built.store
    errors.install(app)
    app.add_middleware(DsnCors)
    # Routes are matched in order: the SDK and exporter endpoints take most of the traffic.
    for route in (*sentry_routes.dsn_routes, *otlp_routes.routes):
        app.add_route(route.path, route.endpoint, methods=["POST"], include_in_schema=False)
    app.include_router(sentry_routes.router)
    app.include_router(generic_routes.router)
    app.include_router(api.router)
    app.include_router(api.protected)
    app.include_router(webhooks.router)
    app.include_router(slack.router)
    app.include_router(aws.router)
    app.include_router(scans.router)
    app.include_router(github.router)
    app.include_router(dashboard.router)
    if settings.bench_endpoints:
        app.include_router(sentry_routes.bench)
    return app
