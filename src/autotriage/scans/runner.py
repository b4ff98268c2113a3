"""One scan of CloudWatch Logs: every configured log group, page by page, with cursors.

Exactly once, across crashes: each page's events are stored in the same transaction as
the log group's cursor (the window and the page's ``nextToken``), so a scan killed at any
point resumes where its last commit stopped. Windows overlap by
``CLOUDWATCH_OVERLAP_SECONDS`` because CloudWatch ingestion is late and eventually
consistent; what the overlap reads again is recognised by the first ``eventId`` of its
record (the events table's unique dedupe key) and stored once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from autotriage.config_sections import AwsSettings
from autotriage.errors import ScanStopped
from autotriage.intake import inbox_row
from autotriage.models import ErrorEvent, utcnow
from autotriage.scans.throttle import Backoff, Pacer, Sleep, error_code
from autotriage.sources.aws import cloudwatch, logs_api, tails
from autotriage.sources.aws.cloudwatch import LogEvent
from autotriage.sources.aws.logs_api import Page
from autotriage.store import Store, cursors
from autotriage.store.events import NewDelivery, store_deliveries
from autotriage.store.groups import find_by_hashes
from autotriage.store.scans import heartbeat
from autotriage.understanding.fingerprint import compute_fingerprint
from autotriage.understanding.scrub import scrub_event

log = logging.getLogger(__name__)

MAX_PAGES_PER_PASS = 100_000
CONTEXT_LIMIT = 10_000
MAX_CONTEXT_PAGES = 20
MAX_HELD_READS = 100
"""Held records of one log group read again per scan (the oldest first)."""
SCAN_GRACE_SLACK = 60
"""Seconds a held record waits past the scan interval, so the next scan can complete it."""


@dataclass
class GroupResult:
    """What one log group's scan read and found."""

    name: str
    events_read: int = 0
    errors_found: int = 0
    stored: int = 0
    duplicates: int = 0
    held: int = 0
    """Records the group's streams hold when its scan ends, waiting for their tail
    (`autotriage.sources.aws.tails`; counted up to `MAX_HELD_READS`)."""
    pages: int = 0
    error: str | None = None


@dataclass
class ScanSummary:
    """The outcome of a scan, as the CLI's table and ``GET /api/scans/{id}`` show it."""

    scan_id: int | None
    dry_run: bool
    groups: list[GroupResult] = field(default_factory=list)
    groups_total: int = 0
    new_groups: int = 0
    actions: int = 0
    requests: int = 0
    throttled: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready progress."""
        return {
            "dry_run": self.dry_run,
            "log_groups_total": self.groups_total,
            "log_groups_done": sum(1 for g in self.groups if g.pages or g.error),
            "events_read": sum(g.events_read for g in self.groups),
            "errors_found": sum(g.errors_found for g in self.groups),
            "stored": sum(g.stored for g in self.groups),
            "duplicates": sum(g.duplicates for g in self.groups),
            "held": sum(g.held for g in self.groups),
            "new_groups": self.new_groups,
            "actions": self.actions,
            "requests": self.requests,
            "throttled": self.throttled,
            "log_groups": [vars(g) for g in self.groups],
        }


def cursor_name(group: str) -> str:
    """The ``cursors`` row of a log group."""
    return cursors.cursor_name("cloudwatch", group)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Scanner:
    """Reads the configured log groups once. The adapter fetches pages; this owns the loop."""

    def __init__(
        self,
        store: Store,
        settings: AwsSettings,
        client: Any,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Sleep = time.sleep,
        on_progress: Callable[[ScanSummary], None] | None = None,
        wake: Callable[[], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.stop = stop
        self.store = store
        self.settings = settings
        self.client = client
        self.clock = clock
        self.backoff = Backoff(Pacer(settings.cloudwatch_max_rps, sleep), sleep=sleep)
        self.on_progress = on_progress
        self.wake = wake
        grace = settings.cloudwatch_tail_grace_seconds
        # a tail a scan missed is read by the next scan: a held record waits for it
        self.grace = max(grace, settings.scan_interval + SCAN_GRACE_SLACK) if grace else 0

    # --- log groups

    def resolve_groups(self) -> list[str]:
        """``AWS_LOG_GROUP_NAME``'s names, with each ``prefix*`` resolved by DescribeLogGroups."""
        names, prefixes = cloudwatch.split_group_spec(self.settings.aws_log_group_name)
        found = list(names)
        for prefix in prefixes:
            token: str | None = None
            for _ in range(cloudwatch.MAX_GROUP_PAGES):
                page, token = self.backoff.call(
                    partial(logs_api.describe_page, self.client, prefix, token)
                )
                found += page
                if not token:
                    break
        return list(dict.fromkeys(found))

    # --- one page's errors

    def _context(self, group: str, cluster: list[LogEvent]) -> list[LogEvent]:
        """Every event of the cluster's stream around it (a few pages at most)."""
        events: list[LogEvent] = []
        token: str | None = None
        for _ in range(MAX_CONTEXT_PAGES):
            page = self.backoff.call(
                partial(
                    logs_api.filter_page,
                    self.client,
                    group,
                    start_ms=cluster[0].timestamp - cloudwatch.CONTEXT_BEFORE_MS,
                    end_ms=cluster[-1].timestamp + cloudwatch.CONTEXT_AFTER_MS,
                    pattern="",
                    token=token,
                    limit=CONTEXT_LIMIT,
                    streams=[cluster[0].stream],
                )
            )
            events += page.events
            token = page.next_token
            if not token:
                break
        return events

    def errors_in(self, group: str, page: Page) -> list[ErrorEvent]:
        """The errors the page's matches report, each reassembled from its neighbours
        (with its place in the context read, so a record cut off by the read's end is
        held for its tail: `autotriage.sources.aws.tails`)."""
        out: list[ErrorEvent] = []
        seen: set[str | None] = set()
        for cluster in cloudwatch.clusters(page.events):
            context = self._context(group, cluster)
            for record, where in cloudwatch.records_with_edges(cluster, context):
                event = cloudwatch.event_from_record(group, record, where)
                if event is not None and event.source_event_id not in seen:
                    seen.add(event.source_event_id)
                    out.append(event)
        return out

    def held_tails(self, group: str) -> list[ErrorEvent]:
        """The records `group`'s streams hold, each read again with what followed it:
        a tail the filter pattern does not match (Java frames) is found this way."""
        out: list[ErrorEvent] = []
        for stream, first_id, first_ms, last_ms in tails.held_heads(
            self.store, group, MAX_HELD_READS
        ):
            cluster = [LogEvent(first_id, stream, first_ms, ""), LogEvent("", stream, last_ms, "")]
            context = [e for e in self._context(group, cluster) if e.timestamp >= first_ms]
            records = cloudwatch.reassemble(context)
            for record, where in zip(records, cloudwatch.edges(records), strict=True):
                ids = [e.event_id for e in record]
                if first_id in ids:
                    tail = record[ids.index(first_id) :]
                    event = cloudwatch.event_from_record(group, tail, where)
                    out += [event] if event is not None else []
        return out

    # --- the loop

    def _window(self, cursor: dict[str, Any], since: timedelta) -> tuple[int, int, str | None]:
        current = cursor.get("pass")
        if isinstance(current, dict) and current.get("next_token"):
            return int(current["start_ms"]), int(current["end_ms"]), str(current["next_token"])
        now_ms = _ms(self.clock())
        through = cursor.get("through_ms")
        if isinstance(through, int):
            start = through - self.settings.cloudwatch_overlap_seconds * 1000
        else:
            start = now_ms - int(since.total_seconds() * 1000)
        return start, now_ms, None

    def _fetch(self, group: str, start: int, end: int, token: str | None) -> Page:
        return self.backoff.call(
            lambda: logs_api.filter_page(
                self.client,
                group,
                start_ms=start,
                end_ms=end,
                pattern=self.settings.cloudwatch_filter_pattern,
                token=token,
                limit=self.settings.cloudwatch_page_size,
            )
        )

    def _commit(
        self,
        group: str,
        events: list[ErrorEvent],
        cursor: dict[str, Any] | None,
        result: GroupResult,
    ) -> None:
        now = utcnow()
        delivery = NewDelivery(cloudwatch.NAME, [inbox_row(e) for e in events])
        with self.store.transaction() as session:
            outcome = store_deliveries(session, [delivery], now=now)[0]
            # in the same transaction: a cut-off record is held, a tail completes one
            settled = tails.settle(session, [delivery], [outcome], now, grace_seconds=self.grace)
            if cursor is not None:
                cursors.save_cursor(session, cursor_name(group), cursor, now)
        result.stored += len(outcome.event_ids)
        result.duplicates += outcome.duplicates
        if (outcome.event_ids or settled.ready) and self.wake is not None:
            self.wake()

    def scan_group(
        self, group: str, since: timedelta, dry_run: bool, result: GroupResult, summary: ScanSummary
    ) -> list[ErrorEvent]:
        """Read one log group from its cursor to now; return the errors found."""
        cursor = cursors.load_cursor(self.store, cursor_name(group))
        start, end, token = self._window(cursor, since)
        if not dry_run and token is None:
            held = self.held_tails(group)
            if held:
                self._commit(group, held, None, result)
        found: list[ErrorEvent] = []
        seen: set[str | None] = set()  # a record split across two pages is found twice
        for _ in range(MAX_PAGES_PER_PASS):
            try:
                page = self._fetch(group, start, end, token)
            except ClientError as exc:
                if token and error_code(exc) == "InvalidParameterException":
                    log.warning("nextToken for %s no longer valid; re-reading the window", group)
                    token = None  # what is read again is deduplicated on eventId
                    continue
                raise
            result.pages += 1
            result.events_read += len(page.events)
            errors = self.errors_in(group, page) if page.events else []
            errors = [e for e in errors if e.source_event_id not in seen]
            seen.update(e.source_event_id for e in errors)
            # a fragment (a tail reporting no error itself) is stored only if it joins one
            reported = [e for e in errors if not cloudwatch.is_fragment(e)]
            result.errors_found += len(reported)
            found += reported
            if page.next_token:
                new_cursor = {
                    "through_ms": cursor.get("through_ms"),
                    "pass": {"start_ms": start, "end_ms": end, "next_token": page.next_token},
                }
            else:
                new_cursor = {"through_ms": end, "pass": None}
            if not dry_run:
                self._commit(group, errors, new_cursor, result)
            self._report(summary)
            if not page.next_token:  # an empty page with a token is not the end
                break
            if self.stop is not None and self.stop.is_set():
                raise ScanStopped(group)
            token = page.next_token
        if not dry_run:
            result.held = len(tails.held_heads(self.store, group, MAX_HELD_READS))
        return found

    def _report(self, summary: ScanSummary) -> None:
        summary.requests = self.backoff.requests
        summary.throttled = self.backoff.throttled
        if summary.scan_id is not None:
            heartbeat(self.store, summary.scan_id, summary.as_dict())
        if self.on_progress is not None:
            self.on_progress(summary)

    def _count_new_groups(self, events: list[ErrorEvent]) -> int:
        primaries: set[str] = set()
        with self.store.reading() as session:
            for event in events:
                fingerprint = compute_fingerprint(scrub_event(event))
                if fingerprint.primary in primaries:
                    continue
                group, _known = find_by_hashes(session, fingerprint.hashes)
                if group is None:
                    primaries.add(fingerprint.primary)
        return len(primaries)

    def run(
        self, *, since: timedelta, dry_run: bool = False, scan_id: int | None = None
    ) -> ScanSummary:
        """Scan every configured log group once; a failing group is reported, not fatal."""
        summary = ScanSummary(scan_id=scan_id, dry_run=dry_run)
        if not dry_run and tails.release_expired(self.store) and self.wake is not None:
            self.wake()  # held records whose grace is over (a CLI scan may run alone)
        groups = self.resolve_groups()
        summary.groups_total = len(groups)
        self._report(summary)
        found: list[ErrorEvent] = []
        for group in groups:
            result = GroupResult(group)
            summary.groups.append(result)
            try:
                found += self.scan_group(group, since, dry_run, result, summary)
            except ClientError as exc:
                result.error = (
                    f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
                )
                log.warning("scan of %s failed: %s", group, result.error)
            except BotoCoreError as exc:
                result.error = f"{type(exc).__name__}: {exc}"
                log.warning("scan of %s failed: %s", group, result.error)
            self._report(summary)
        if dry_run:
            summary.new_groups = self._count_new_groups(found)
        return summary
