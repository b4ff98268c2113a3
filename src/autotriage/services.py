"""`build_services(settings)`: everything a running autotriage needs, built once.

The web app (through Starlette's lifespan state) and every CLI command start from the
same `Services`, so a setting such as ``SCRUB_IPS`` reaches the worker exactly as it
reaches the server. Nothing is configured globally: each component is handed its own
sections of the settings here (`autotriage.config_sections`), and `Services` carries the
sections, never the flat `Settings`: the routes and commands read their section from it.
The one outbound HTTP client is also the seam tests replace, by passing an httpx
``transport``. GitHub calls go through githubkit, which builds its own httpx client
(it keeps per-client auth and headers); it is handed the same `transport`, so the seam
still covers them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import httpx

from autotriage.actions import build_handlers
from autotriage.analysis.analyzer import Analyzer
from autotriage.config import Settings
from autotriage.config_sections import (
    ActionSettings,
    AwsSettings,
    BodyLimits,
    GitHubSettings,
    IngestSettings,
    PipelineSettings,
    SentrySettings,
    ServerSettings,
    SlackSettings,
)
from autotriage.intake import Intake
from autotriage.jobs.engine import EngineWorker
from autotriage.jobs.queue import JobQueue, uses_engine
from autotriage.jobs.work import Work, periodic_jobs
from autotriage.metrics import Metrics
from autotriage.pipeline import Worker, process_pending
from autotriage.scans.manager import ScanManager
from autotriage.selfreport import init_self_reporting
from autotriage.sources.aws import cloudwatch, tails
from autotriage.sources.aws.sns import CertCache
from autotriage.sources.base import Verifying
from autotriage.store import Store
from autotriage.understanding.scrub import ScrubPolicy
from autotriage.web.ingest import IngestGuard, KeyRing, ingest_guard

Clock = Callable[[], float]
OUTBOUND_TIMEOUT = httpx.Timeout(10.0)


@dataclass
class Services:
    """The store, the outbound client, the components built on them, and the settings'
    sections the routes and commands read."""

    server: ServerSettings
    ingest: IngestSettings
    limits: BodyLimits
    github: GitHubSettings
    slack: SlackSettings
    sentry: SentrySettings
    aws: AwsSettings
    pipeline: PipelineSettings
    actions: ActionSettings
    store: Store
    http: httpx.Client
    scrub: ScrubPolicy
    analyzer: Analyzer
    clock: Clock
    key_ring: KeyRing
    guard: IngestGuard
    worker: Worker
    work: Work
    """What the job engine's task functions are handed (the worker's, bound)."""
    intake: Intake
    scans: ScanManager
    sns_certs: CertCache
    metrics: Metrics
    jobs: JobQueue | None = None  # PostgreSQL: the job engine's queue
    engine: EngineWorker | None = None  # `serve` on PostgreSQL: its job-engine worker

    def verifying(self) -> Verifying:
        """What the sources' verifiers are handed: their sections, the clock's now and
        the SNS certificate cache."""
        return Verifying(
            self.ingest, self.sentry, self.slack, self.aws, self.clock(), self.sns_certs
        )

    @property
    def running_worker(self) -> Worker | EngineWorker:
        """The worker doing this process's work (what /health reports on)."""
        return self.engine or self.worker

    def close(self) -> None:
        """Stop scans and the worker; release the client and the store's connections."""
        self.scans.stop()
        self.worker.stop()
        if self.jobs is not None:
            self.store.defer_action = None
            self.jobs.close()
        self.http.close()
        self.store.dispose()


def build_services(
    settings: Settings,
    *,
    store: Store | None = None,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = time.time,
) -> Services:
    """Build every component from `settings` (the store is not migrated here).

    `transport` replaces the network under the one outbound client (tests pass an
    ``httpx.MockTransport`` or point at a local server); `clock` is wall-clock seconds.
    """
    init_self_reporting(settings.sentry, settings.scrub)
    ingest = settings.ingest
    store = store or Store(settings.database_url)
    scrub = ScrubPolicy.from_settings(settings.scrub)
    http = httpx.Client(timeout=OUTBOUND_TIMEOUT, follow_redirects=False, transport=transport)
    analyzer = Analyzer(settings.analysis, login_client=http)
    metrics = Metrics(store, clock)
    handlers = build_handlers(
        settings.actions, http=http, policy=scrub, analyzer=analyzer, transport=transport
    )
    observed = metrics.observe_handlers(handlers)
    work = Work(
        store,
        observed,
        server=settings.server,
        pipeline=settings.pipeline,
        retention=settings.retention,
        aws=settings.aws,
        sentry=settings.sentry,
        http=http,
    )
    worker = Worker(
        store,
        settings.server,
        observed,
        group=partial(process_pending, store, settings.pipeline),
        concurrency=settings.server.worker_concurrency,
        periodic=periodic_jobs(work),
    )
    wake = worker.wake if settings.worker_enabled else None
    jobs = JobQueue(settings.database_url) if uses_engine(settings.server) else None
    if jobs is not None:
        # the job and its outbox row commit together; intake nudges the grouping job
        store.defer_action = jobs.defer_action
        wake = jobs.nudge
    intake = Intake(store, wake=wake, observe=metrics.delivery)
    guard = ingest_guard(store, ingest, clock)
    intake.commit_took = guard.shedder.committed
    intake.after_store[cloudwatch.NAME] = tails.intake_hook(
        settings.aws.cloudwatch_tail_grace_seconds
    )
    return Services(
        server=settings.server,
        ingest=ingest,
        limits=settings.limits,
        github=settings.github,
        slack=settings.slack,
        sentry=settings.sentry,
        aws=settings.aws,
        pipeline=settings.pipeline,
        actions=settings.actions,
        store=store,
        http=http,
        scrub=scrub,
        analyzer=analyzer,
        clock=clock,
        key_ring=KeyRing(store, ingest.ingest_key_cache_seconds),
        guard=guard,
        worker=worker,
        work=work,
        intake=intake,
        scans=ScanManager(store, settings.aws, wake=wake),
        sns_certs=CertCache(http),
        jobs=jobs,
        metrics=metrics,
    )
