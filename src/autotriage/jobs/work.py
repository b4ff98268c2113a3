"""The worker's work, one function per kind, shared by the job engine and the SQLite worker.

Outbox rows stay the record of truth: a job only says "run action N" or "look at the
inbox", and each function re-reads the database, so running one twice, late, or after a
crash does no harm (claims are atomic; every action has an idempotency key).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import httpx
from sqlalchemy import func, or_, select

from autotriage.actions.kinds import ActionHandler, ActionKind, PlannedAction, sync_poll_key
from autotriage.actions.outbox import enqueue, run_one
from autotriage.analysis.access import sync_mirror
from autotriage.config_sections import (
    AwsSettings,
    PipelineSettings,
    RetentionSettings,
    SentrySettings,
    ServerSettings,
)
from autotriage.errors import GitError, SentryApiError
from autotriage.jobs.retention import RetentionPolicy, RetentionReport, apply_retention
from autotriage.models import utcnow
from autotriage.pipeline import process_pending
from autotriage.scans.manager import ScanManager
from autotriage.sources.aws.tails import release_expired
from autotriage.sources.sentry.poll import scan_sentry
from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group, Link

log = logging.getLogger(__name__)

GROUP_BUDGET_SECONDS = 5.0
"""A grouping job hands over after this long, so one busy inbox never pins a worker slot."""


@dataclass
class Work:
    """What every task function needs: the store, the action handlers, and the settings
    sections the work reads (`Settings` itself is never handed over)."""

    store: Store
    handlers: Mapping[str, ActionHandler]
    server: ServerSettings
    pipeline: PipelineSettings
    retention: RetentionSettings
    aws: AwsSettings
    sentry: SentrySettings
    http: httpx.Client | None = None
    """The process's one outbound client (`Services.http`); a Work built without it (as
    some tests do) polls Sentry through a client of its own."""

    @property
    def lease(self) -> timedelta:
        """How long a claimed action holds before another worker may retry it."""
        return timedelta(seconds=self.server.action_lease_seconds)

    @property
    def polls_github(self) -> bool:
        """Whether GitHub issues' states are polled (GitHub configured, no webhook)."""
        github = self.pipeline.github
        return github.configured and not github.github_webhook_secret

    @property
    def polls_sentry(self) -> bool:
        """Whether Sentry's unresolved issues are polled (a token and a project)."""
        return self.sentry.sentry_auth_token is not None and bool(self.sentry.sentry_project)

    @property
    def mirrors(self) -> bool:
        """Whether a mirror of the GitHub repository is kept fresh (no local REPO_PATH)."""
        return self.pipeline.github.configured and not self.pipeline.analysis.repo_path


def group_inbox(work: Work, budget: float = GROUP_BUDGET_SECONDS) -> tuple[int, bool]:
    """Group pending events batch by batch; returns (events grouped, inbox left non-empty)."""
    deadline = time.monotonic() + budget
    total = 0
    while True:
        done = process_pending(work.store, work.pipeline)
        total += done
        if not done:
            return total, False
        if time.monotonic() > deadline:
            return total, True


def run_action(work: Work, action_id: int) -> Action | None:
    """Run outbox action `action_id` if it is due (or its lease ran out); None if it was not."""
    return run_one(work.store, work.handlers, lease=work.lease, action_id=action_id)


def next_attempt(work: Work, action_id: int) -> datetime | None:
    """When action `action_id` is next due, if it waits for a later attempt; else None."""
    with work.store.reading() as session:
        row = session.execute(
            select(Action.status, Action.next_attempt_at).where(Action.id == action_id)
        ).first()
    if row is None or row.status not in ("pending", "retryable"):
        return None
    when: datetime = row.next_attempt_at
    return when if when > utcnow() else None


def due_actions(work: Work, limit: int = 1000) -> list[tuple[int, datetime]]:
    """Actions waiting to run, with when: due ones, future retries, and expired claims."""
    now = utcnow()
    with work.store.reading() as session:
        rows = session.execute(
            select(Action.id, Action.next_attempt_at, Action.status, Action.claimed_at)
            .where(
                Action.kind.in_(set(work.handlers)),
                or_(
                    Action.status.in_(("pending", "retryable")),
                    (Action.status == "running") & (Action.claimed_at < now - work.lease),
                ),
            )
            .order_by(Action.id)
            .limit(limit)
        ).all()
    return [(row.id, row.next_attempt_at if row.status != "running" else now) for row in rows]


def inbox_waiting(work: Work) -> bool:
    """Whether any event waits to be grouped."""
    with work.store.reading() as session:
        first = session.scalar(select(Event.id).where(Event.status == "pending").limit(1))
    return first is not None


def retention(work: Work) -> RetentionReport:
    """Apply EVENTS_PER_GROUP_KEEP, EVENT_RETENTION_DAYS and the delivery dedupe window."""
    report = apply_retention(work.store, retention_policy(work.retention), utcnow())
    if report.total:
        log.info(
            "retention: %s events over the per-group limit, %s too old, %s deliveries",
            report.over_group_limit,
            report.too_old,
            report.deliveries,
        )
    return report


def retention_policy(settings: RetentionSettings) -> RetentionPolicy:
    """The policy the settings ask for."""
    return RetentionPolicy(
        keep_per_group=settings.events_per_group_keep,
        max_age=timedelta(days=settings.event_retention_days),
        dedupe_window=timedelta(hours=settings.delivery_dedupe_hours),
    )


def refresh_mirror(work: Work) -> None:
    """Fetch the GitHub mirror so analysis rarely waits on git."""
    try:
        sync_mirror(work.pipeline.analysis)
    except GitError as exc:  # already free of credentials
        log.warning("repository mirror fetch failed: %s", exc)


def poll_github(work: Work) -> int:
    """Plan a state read of every open group's GitHub issue (without webhooks); how many."""
    period = work.pipeline.github.github_poll_seconds
    if not work.polls_github or period <= 0:
        return 0
    now = utcnow()
    window = int(now.timestamp() // period)
    planned = 0
    with work.store.transaction() as session:
        groups = session.scalars(
            select(Group.id)
            .join(Link, (Link.group_id == Group.id) & (Link.tracker == "github"))
            .where(Group.status != "ignored")
        ).all()
        for gid in groups:
            # the pipeline's key: one read per group and window, however often it is planned
            action = PlannedAction(ActionKind.GITHUB_SYNC, sync_poll_key(gid, window), gid, None)
            planned += enqueue(session, action, now)
    return planned


HELD_TRACE_SECONDS = 5.0
"""How often held CloudWatch traces whose grace is over are released."""


def release_held_traces(work: Work) -> int:
    """Release held CloudWatch traces whose tail never came (`sources.aws.tails`)."""
    return release_expired(work.store)


def scan_cloudwatch(work: Work) -> None:
    """One CloudWatch scan of the configured log groups (the scans table excludes overlaps)."""
    if work.aws.aws_log_group_name:
        ScanManager(work.store, work.aws).run_now("interval")


def poll_sentry(work: Work) -> None:
    """Read Sentry's new unresolved issues into the inbox."""
    try:
        if work.http is not None:
            result = scan_sentry(work.sentry, work.store, work.http)
        else:
            with httpx.Client(timeout=30) as client:
                result = scan_sentry(work.sentry, work.store, client)
    except SentryApiError as exc:
        log.warning("Sentry poll failed: %s", exc.reason)
        return
    if result.stored:
        log.info("Sentry poll: %s new event(s)", result.stored)


def periodic_jobs(work: Work) -> list[tuple[str, float, Callable[[], object]]]:
    """The timed work the SQLite worker runs for this configuration: (name, seconds, call)."""
    jobs: list[tuple[str, float, Callable[[Work], object]]] = [
        ("retention", work.retention.retention_interval_seconds, retention),
        ("held_traces", HELD_TRACE_SECONDS, release_held_traces),
    ]
    if work.mirrors:
        jobs.append(("mirror", work.pipeline.analysis.repo_fetch_interval_seconds, refresh_mirror))
    if work.polls_github:
        jobs.append(("github_poll", work.pipeline.github.github_poll_seconds, poll_github))
    if work.polls_sentry:
        jobs.append(("sentry_poll", work.aws.scan_interval, poll_sentry))
    return [(name, seconds, partial(job, work)) for name, seconds, job in jobs if seconds > 0]


def event_count(store: Store) -> int:
    """How many events the inbox holds (any status)."""
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)
