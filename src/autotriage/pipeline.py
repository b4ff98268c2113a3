"""Processing, run by the worker: fingerprint -> group -> decide -> plan actions.

Each batch of inbox events is processed in one transaction: the group upsert, the
event's status and the planned actions commit together, so a crash at any point leaves
either all of it or none of it, and a replay of the batch counts nothing twice.
Analysis and the actions themselves run later, from the outbox (`actions.outbox`).
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from autotriage.actions.base import PlannedAction
from autotriage.actions.github.state import is_regression, spike
from autotriage.actions.outbox import enqueue
from autotriage.config import Settings
from autotriage.models import ErrorEvent, utcnow
from autotriage.store import Store
from autotriage.store.events import load_event, pending_events
from autotriage.store.groups import attach_hashes, create_group, find_by_hashes, record_occurrence
from autotriage.store.hours import count_hour
from autotriage.store.tables import Event, Group
from autotriage.understanding.fingerprint import (
    GroupingConfig,
    compute_fingerprint,
    grouping_config,
)

log = logging.getLogger(__name__)

UPDATE_EVERY_SECONDS = 300
SPIKE_CHECK_EVERY = 100
MILESTONES = tuple(10**n for n in range(1, 10))


class Decision(enum.Enum):
    """What an occurrence means for its group."""

    NEW = "new"
    REGRESSION = "regression"
    REPEAT = "repeat"
    IGNORED = "ignored"
    OLD_RELEASE = "old_release"  # a resolved group seen in a release the fix is not in


def decide(group: Group | None, event: ErrorEvent) -> Decision:
    """Classify an occurrence given its group as it stood before the occurrence."""
    if group is None:
        return Decision.NEW
    if group.status == "ignored":
        return Decision.IGNORED
    if group.status == "resolved":
        return Decision.REGRESSION if is_regression(group, event) else Decision.OLD_RELEASE
    return Decision.REPEAT


def plan_actions(
    decision: Decision,
    group: Group,
    event: ErrorEvent,
    event_row_id: int,
    settings: Settings,
    now: datetime,
) -> list[PlannedAction]:
    """The actions an occurrence calls for; their keys make each happen at most once."""
    gid = group.id
    tracker = "github" if settings.github_configured else "tracker"
    if decision is Decision.NEW:
        return [
            PlannedAction("analysis", f"analysis:{gid}:0", gid, event_row_id),
            PlannedAction(f"{tracker}.open", f"{tracker}.open:{gid}", gid, event_row_id),
        ]
    if decision is Decision.REGRESSION:
        release = f" in release `{event.release}`" if event.release else ""
        n = group.regressions
        return [
            PlannedAction("analysis", f"analysis:{gid}:{n}", gid, event_row_id),
            PlannedAction(
                f"{tracker}.comment",
                f"{tracker}.reopen:{gid}:{n}",
                gid,
                event_row_id,
                {"reopen": True, "body": f"This error came back{release} (regression #{n})."},
            ),
        ]
    if decision in (Decision.IGNORED, Decision.OLD_RELEASE):
        return []
    planned = []
    if tracker == "github" and not settings.github_webhook_secret and settings.github_poll_seconds:
        # without webhooks, re-read the state now and then while the group is active
        poll = int(now.timestamp() // settings.github_poll_seconds)
        key = f"github.sync:{gid}:poll:{poll}"
        planned.append(PlannedAction("github.sync", key, gid, event_row_id))
    if group.count in MILESTONES:
        planned.append(
            PlannedAction(
                f"{tracker}.comment",
                f"{tracker}.milestone:{gid}:{group.count}",
                gid,
                event_row_id,
                {"body": f"This error has now occurred {group.count:,} times."},
            )
        )
    bucket = int(now.timestamp()) // UPDATE_EVERY_SECONDS
    planned.append(
        PlannedAction(f"{tracker}.update", f"{tracker}.update:{gid}:{bucket}", gid, event_row_id)
    )
    return planned


def notify_actions(
    decision: Decision, group: Group, event_row_id: int, settings: Settings
) -> list[PlannedAction]:
    """Slack posts: a new group, a regression, a spike (a count milestone), when configured."""
    if not settings.slack_configured:
        return []
    gid, key = group.id, "slack.notify"
    if decision is Decision.NEW:
        reason, unique = "new", f"{key}:new:{gid}"
    elif decision is Decision.REGRESSION:
        reason, unique = "regression", f"{key}:regression:{gid}:{group.regressions}"
    elif decision is Decision.REPEAT and group.count in MILESTONES:
        reason, unique = "spike", f"{key}:spike:{gid}:{group.count}"
    else:
        return []
    return [PlannedAction(key, unique, gid, event_row_id, {"reason": reason})]


def _news(decision: Decision, group: Group, event: ErrorEvent) -> list[tuple[str, str]]:
    """A repeat seen in a release or environment the group was not last seen in."""
    del decision
    found = []
    if event.release and group.last_release and event.release != group.last_release:
        found.append(("release", event.release))
    if event.environment and group.environment and event.environment != group.environment:
        found.append(("environment", event.environment))
    return found


def _news_comments(
    news: list[tuple[str, str]], group: Group, event_row_id: int, settings: Settings
) -> list[PlannedAction]:
    """One comment per group and new release/environment value (the key makes it once)."""
    tracker = "github" if settings.github_configured else "tracker"
    return [
        PlannedAction(
            f"{tracker}.comment",
            f"{tracker}.{what}:{group.id}:{value.split('UTC')[0]}"[:255],
            group.id,
            event_row_id,
            {
                "body": f"Spike at {value}."
                if what == "spike"
                else f"This error now also occurs in {what} `{value}`."
            },
        )
        for what, value in news
    ]


class _Batch:
    """What one transaction already knows, so repeats in a batch cost no extra queries."""

    def __init__(self, config: GroupingConfig) -> None:
        self.config = config
        self.groups: dict[str, Group] = {}
        self.known_hashes: set[str] = set()
        self.planned: set[str] = set()


def _process_one(
    session: Session, row: Event, settings: Settings, now: datetime, batch: _Batch
) -> Decision:
    event = load_event(row)
    fingerprint = compute_fingerprint(event, batch.config)
    group = next((batch.groups[h] for h in fingerprint.lookup if h in batch.groups), None)
    if group is None:
        group, known = find_by_hashes(session, fingerprint.lookup)
        batch.known_hashes |= known
    decision = decide(group, event)
    if group is None:
        group = create_group(
            session, event, fingerprint.primary, fingerprint.hashes, fingerprint.version, now
        )
    else:
        missing = [h for h in fingerprint.hashes if h not in batch.known_hashes]
        if missing:
            attach_hashes(session, group.id, missing)
    batch.known_hashes.update(fingerprint.hashes)
    for value in fingerprint.lookup:
        batch.groups.setdefault(value, group)
    if decision is Decision.REGRESSION:
        group.status = "open"
        group.regressions += 1
    news = _news(decision, group, event) if decision is Decision.REPEAT else []
    record_occurrence(group, event, row.id, now)
    count_hour(session, group.id, event.occurred_at or event.received_at)
    if decision is Decision.REPEAT and group.count % SPIKE_CHECK_EVERY == 0:
        news += spike(session, group, now, settings.github_spike_factor, SPIKE_CHECK_EVERY)
    row.status, row.fingerprint, row.group_id = "done", group.fingerprint, group.id
    for planned in [
        *plan_actions(decision, group, event, row.id, settings, now),
        *_news_comments(news, group, row.id, settings),
        *notify_actions(decision, group, row.id, settings),
    ]:
        if planned.key not in batch.planned:
            batch.planned.add(planned.key)
            enqueue(session, planned, now)
    return decision


def process_pending(store: Store, settings: Settings, limit: int = 200) -> int:
    """Group up to `limit` pending events; return how many were taken off the inbox."""
    try:
        with store.transaction() as session:
            rows = pending_events(session, limit)
            now, batch = utcnow(), _Batch(grouping_config(settings))
            for row in rows:
                _process_one(session, row, settings, now, batch)
            return len(rows)
    except (IntegrityError, DBAPIError):
        # Another worker won a race (same new group, same row); redo one event at a time.
        log.info("batch conflicted with another worker; retrying event by event")
    except Exception:
        log.exception("batch failed; isolating the event that fails")
    return _process_singly(store, settings, limit)


def _process_singly(store: Store, settings: Settings, limit: int) -> int:
    done = 0
    for _ in range(limit):
        try:
            with store.transaction() as session:
                rows = pending_events(session, 1)
                if not rows:
                    return done
                _process_one(
                    session, rows[0], settings, utcnow(), _Batch(grouping_config(settings))
                )
        except (IntegrityError, DBAPIError):
            log.info("event conflicted with another worker; will retry")
            return done
        except Exception as exc:
            log.exception("event processing failed")
            _mark_failed(store, f"{type(exc).__name__}: {exc}")
        done += 1
    return done


def _mark_failed(store: Store, error: str) -> None:
    with store.transaction() as session:
        rows = pending_events(session, 1)
        if rows:
            rows[0].status, rows[0].error = "failed", error[:2000]
            rows[0].attempts += 1
