"""The ASGI application: `create_app(settings)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.store import Store
from autotriage.web import errors
from autotriage.web.routes import api, dashboard, webhooks
from autotriage.web.routes import generic as generic_routes
from autotriage.web.routes import otlp as otlp_routes
from autotriage.web.routes import sentry as sentry_routes
from autotriage.worker import Worker


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """Build the app; on start it migrates the store and starts the worker (if enabled)."""
    store = store or Store(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.migrate()
        worker = Worker(store, settings) if settings.worker_enabled else None
        app.state.worker = worker
        app.state.intake = Intake(store, wake=worker.wake if worker else None)
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            store.dispose()

    app = FastAPI(
        title="autotriage",
        summary="Production errors in, deduplicated GitHub issues out.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.worker = None
    errors.install(app)
    app.include_router(api.router)
    app.include_router(api.protected)
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    app.include_router(sentry_routes.router)
    app.include_router(otlp_routes.router)
    app.include_router(generic_routes.router)
    if settings.bench_endpoints:
        app.include_router(sentry_routes.bench)
    return app
