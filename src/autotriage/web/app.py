"""The ASGI application: `create_app(settings)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from autotriage.actions import build_handlers
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.jobs.engine import EngineWorker, JobQueue, build_app, uses_engine
from autotriage.jobs.work import Work
from autotriage.scans.manager import ScanManager
from autotriage.store import Store
from autotriage.understanding.scrub import configure as configure_scrubbing
from autotriage.web import errors
from autotriage.web.cors import DsnCors
from autotriage.web.routes import api, aws, dashboard, github, scans, slack, webhooks
from autotriage.web.routes import generic as generic_routes
from autotriage.web.routes import otlp as otlp_routes
from autotriage.web.routes import sentry as sentry_routes
from autotriage.worker import Worker, WorkerStatus


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """Build the app; on start it migrates the store and starts the worker (if enabled)."""
    store = store or Store(settings.database_url)
    configure_scrubbing(settings)  # issues, comments and log lines follow SCRUB_EMAILS/SCRUB_IPS

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.migrate()
        # PostgreSQL: the work runs on the job engine, here and in any `autotriage worker`
        queue = JobQueue(settings.database_url) if uses_engine(settings.database_url) else None
        engine: EngineWorker | None = None
        worker: Worker | EngineWorker | None = None
        if queue is not None:
            store.defer_action = queue.defer_action
            if settings.worker_enabled:
                work, status = Work(store, settings, build_handlers(settings)), WorkerStatus()
                jobs = build_app(work, queue, status)
                engine = worker = EngineWorker(jobs, settings.worker_concurrency, status)
        elif settings.worker_enabled:
            worker = Worker(store, settings)
        wake = queue.nudge if queue is not None else None
        if isinstance(worker, Worker):
            wake = worker.wake
        app.state.worker = worker
        app.state.intake = Intake(store, wake=wake)
        app.state.scans = ScanManager(store, settings, wake=wake)
        own_http = app.state.http is None  # tests inject a client; SNS/Slack calls use it
        if own_http:
            app.state.http = httpx.Client(timeout=10.0, follow_redirects=False)
        if engine is not None:
            await engine.start()
        elif isinstance(worker, Worker):
            worker.start()
        if queue is None:
            app.state.scans.start_schedule()  # on the engine, scans are periodic jobs
        else:
            queue.nudge()  # whatever the inbox already holds
        try:
            yield
        finally:
            app.state.scans.stop()
            if engine is not None:
                await engine.stop()
            elif isinstance(worker, Worker):
                worker.stop()
            if queue is not None:
                store.defer_action = None
                queue.close()
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
