"""Prometheus metrics: one `Metrics` per `Services`, scraped at ``GET /metrics``.

Counters and the ingest histogram live in this process (each replica is scraped on its
own: *per-process scraping*, not prometheus-client's multiprocess mode). Everything
that describes shared state is read from the store at scrape time by `StoreCollector`,
so any replica reports the same groups, outbox depth, scans and delivery ages:

* ``autotriage_events_received_total{source,outcome}`` accepted/duplicate (counted by
  intake, per event) and rejected/rate_limited (counted at the web edge, per request);
* ``autotriage_ingest_request_duration_seconds{route}`` per source route template;
* ``autotriage_actions_total{kind,outcome}`` each finished attempt (ok, retryable,
  permanent) as the outbox records it;
* ``autotriage_unread_total{source,unit}`` input acknowledged but left unread past a
  source's bounds (Firehose: ``lines`` past a record's cap, ``errors`` past a delivery's,
  whole ``records`` after it), added by `Metrics.left_unread` from
  `autotriage.sources.aws.firehose.read_delivery`'s tally;
* ``autotriage_github_rate_limit_remaining`` as the GitHub client last saw it;
* from the store: ``autotriage_groups{status}``, ``autotriage_outbox_depth{kind}``,
  ``autotriage_scan_runs_total{source,outcome}``,
  ``autotriage_seconds_since_last_scan{source}`` and
  ``autotriage_seconds_since_last_delivery{source}``;
* ``autotriage_build_info{version,python}``.

No registry is global: each app gets its own, so tests can build many apps.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from autotriage.actions.kinds import ActionHandler, ActionResult
from autotriage.store import Store
from autotriage.store.tables import Action, Cursor, Delivery, Group

REJECTED, RATE_LIMITED = "rejected", "rate_limited"
BOUNDED_SOURCES = ("firehose",)
"""Sources whose deliveries may be acknowledged with input left unread past a bound."""
UNREAD_UNITS = ("lines", "errors", "records")
WAITING = ("pending", "retryable", "running")


def _version() -> str:
    try:
        return version("autotriage")
    except PackageNotFoundError:
        return "unknown"


def _age(now: float, moment: datetime | None) -> float | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0.0, now - aware.timestamp())


class StoreCollector(Collector):
    """Gauges (and the scan counter) read from the store when scraped."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """Read the shared state; one short read transaction per scrape."""
        from autotriage.store.scans import Scan

        groups = GaugeMetricFamily("autotriage_groups", "Groups by status.", labels=["status"])
        depth = GaugeMetricFamily(
            "autotriage_outbox_depth", "Actions waiting to run, by kind.", labels=["kind"]
        )
        scans = CounterMetricFamily(
            "autotriage_scan_runs",
            "Finished scans by source and outcome.",
            labels=["source", "outcome"],
        )
        scan_age = GaugeMetricFamily(
            "autotriage_seconds_since_last_scan",
            "Seconds since a pull source last finished a scan (or moved its cursor).",
            labels=["source"],
        )
        delivery_age = GaugeMetricFamily(
            "autotriage_seconds_since_last_delivery",
            "Seconds since a source last delivered.",
            labels=["source"],
        )
        now = self.clock()
        with self.store.reading() as session:
            counts = {"open": 0, "resolved": 0, "ignored": 0}
            for status, n in session.execute(
                select(Group.status, func.count()).group_by(Group.status)
            ):
                counts[str(status)] = int(n)
            for status, n in counts.items():
                groups.add_metric([status], n)
            for kind, n in session.execute(
                select(Action.kind, func.count())
                .where(Action.status.in_(WAITING))
                .group_by(Action.kind)
            ):
                depth.add_metric([str(kind)], int(n))
            for status, n in session.execute(
                select(Scan.status, func.count())
                .where(Scan.finished_at.is_not(None))
                .group_by(Scan.status)
            ):
                scans.add_metric(["cloudwatch", str(status)], int(n))
            last: dict[str, datetime] = {}
            finished = session.scalar(select(func.max(Scan.finished_at)))
            if finished is not None:
                last["cloudwatch"] = finished
            for name, updated in session.execute(select(Cursor.name, Cursor.updated_at)):
                source = str(name).split(":", 1)[0]
                last[source] = max(last.get(source, updated), updated)
            for source, moment in sorted(last.items()):
                scan_age.add_metric([source], _age(now, moment) or 0.0)
            for source, moment in session.execute(
                select(Delivery.source, func.max(Delivery.received_at)).group_by(Delivery.source)
            ):
                delivery_age.add_metric([str(source)], _age(now, moment) or 0.0)
        yield from (groups, depth, scans, scan_age, delivery_age)


class Metrics:
    """The process's metric objects, in a registry of their own."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self.events_received = Counter(
            "autotriage_events_received",
            "Events received, by source and outcome (accepted, duplicate, rejected, rate_limited).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.ingest_duration = Histogram(
            "autotriage_ingest_request_duration_seconds",
            "Time to answer an ingest request, by route.",
            ["route"],
            registry=self.registry,
        )
        self.actions = Counter(
            "autotriage_actions",
            "Finished action attempts, by kind and outcome (ok, retryable, permanent).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.unread = Counter(
            "autotriage_unread",
            "Input acknowledged but left unread past a bound, by source and unit "
            "(lines, errors, records).",
            ["source", "unit"],
            registry=self.registry,
        )
        for source in BOUNDED_SOURCES:  # present at zero, so an alert has a baseline
            for unit in UNREAD_UNITS:
                self.unread.labels(source, unit)
        self.github_rate_limit = Gauge(
            "autotriage_github_rate_limit_remaining",
            "GitHub API requests left in the current window, as last seen.",
            registry=self.registry,
        )
        self.rate_limit_sources: list[Callable[[], int | None]] = []
        self.github_rate_limit.set_function(self._rate_limit_or_nan)
        info = Gauge(
            "autotriage_build_info",
            "Always 1; the labels say which autotriage is running.",
            ["version", "python"],
            registry=self.registry,
        )
        info.labels(_version(), platform.python_version()).set(1)
        self.registry.register(StoreCollector(store, clock))

    def rate_limit_remaining(self) -> int | None:
        """The lowest budget any GitHub client of this process last saw, if any."""
        seen = [n for read in self.rate_limit_sources if (n := read()) is not None]
        return min(seen) if seen else None

    def _rate_limit_or_nan(self) -> float:
        remaining = self.rate_limit_remaining()
        return float("nan") if remaining is None else float(remaining)

    def delivery(self, source: str, accepted: int, duplicates: int) -> None:
        """Count what intake stored (`accepted`) and recognised as seen (`duplicates`)."""
        if accepted:
            self.events_received.labels(source, "accepted").inc(accepted)
        if duplicates:
            self.events_received.labels(source, "duplicate").inc(duplicates)

    def left_unread(self, source: str, counts: Mapping[str, int]) -> None:
        """Count what a delivery of `source` held past its bounds, by unit (`UNREAD_UNITS`)."""
        for unit, n in counts.items():
            if n > 0:
                self.unread.labels(source, unit).inc(n)

    def refused(self, source: str, status_code: int) -> None:
        """Count a refused ingest request: 429/503 as rate limited, other 4xx as rejected."""
        outcome = RATE_LIMITED if status_code in (429, 503) else REJECTED
        self.events_received.labels(source, outcome).inc()

    def observe_handlers(self, handlers: Mapping[str, ActionHandler]) -> dict[str, ActionHandler]:
        """`handlers`, each wrapped so the outcome it records is counted."""
        for handler in handlers.values():
            client = getattr(getattr(handler, "ops", None), "client", None)
            if client is not None and hasattr(client, "rate_limit_remaining"):
                read = lambda c=client: c.rate_limit_remaining  # noqa: E731
                if not any(getattr(r, "client", None) is client for r in self.rate_limit_sources):
                    read.client = client  # type: ignore[attr-defined]
                    self.rate_limit_sources.append(read)
        return {kind: _Counted(handler, self.actions) for kind, handler in handlers.items()}


class _Counted:
    """An action handler whose recorded outcomes are counted."""

    def __init__(self, inner: ActionHandler, counter: Counter) -> None:
        self.inner = inner
        self.kind = inner.kind
        self._counter = counter

    def prepare(self, session: Any, action: Any) -> Any:
        return self.inner.prepare(session, action)

    def perform(self, prepared: Any) -> ActionResult:
        return self.inner.perform(prepared)

    def record(self, session: Any, action: Any, result: ActionResult) -> None:
        self.inner.record(session, action, result)
        self._counter.labels(self.kind, action.status).inc()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
