"""The ASGI application: `create_app(settings)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.scans.manager import ScanManager
from autotriage.sources.registry import web_routes
from autotriage.store import Store
from autotriage.understanding.scrub import configure as configure_scrubbing
from autotriage.web import errors
from autotriage.web.cors import DsnCors
from autotriage.web.routes import api, dashboard, github, scans, webhooks
from autotriage.web.routes import sentry as sentry_routes
from autotriage.worker import Worker


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """Build the app; on start it migrates the store and starts the worker (if enabled)."""
    store = store or Store(settings.database_url)
    configure_scrubbing(settings)  # issues, comments and log lines follow SCRUB_EMAILS/SCRUB_IPS

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.migrate()
        worker = Worker(store, settings) if settings.worker_enabled else None
        app.state.worker = worker
        app.state.intake = Intake(store, wake=worker.wake if worker else None)
        app.state.scans = ScanManager(store, settings, wake=worker.wake if worker else None)
        own_http = app.state.http is None  # tests inject a client; SNS/Slack calls use it
        if own_http:
            app.state.http = httpx.Client(timeout=10.0, follow_redirects=False)
        if worker is not None:
            worker.start()
        app.state.scans.start_schedule()
        try:
            yield
        finally:
            app.state.scans.stop()
            if worker is not None:
                worker.stop()
            if own_http:
                app.state.http.close()
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
    app.state.scans = None
    app.state.http = None
    errors.install(app)
    app.add_middleware(DsnCors)
    # Routes are matched in order: the sources' endpoints (the SDK and exporter ones
    # first) take most of the traffic.
    app.router.routes.extend(web_routes())
    app.include_router(api.router)
    app.include_router(api.protected)
    app.include_router(webhooks.router)
    app.include_router(scans.router)
    app.include_router(github.router)
    app.include_router(dashboard.router)
    if settings.bench_endpoints:
        app.include_router(sentry_routes.bench)
    return app
