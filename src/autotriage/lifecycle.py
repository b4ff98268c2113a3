"""A group's lifecycle: one state machine for every signal that changes a group.

* `decide` classifies an occurrence against its group as it stood before it;
* `resolve`, `ignore` and `reopen` apply a status signal, whoever sent it (a GitHub
  close or reopen, the GitHub poller, a Sentry ``issue.resolved``/``ignored``/
  ``unresolved`` hook, later a merged fix PR); `apply` takes the same as one `Signal`;
* `regress` reopens a resolved group that an occurrence brought back;
* `is_regression` and `spike` are the rules behind `decide` and the spike comments;
* `plan_actions` (with `news_comments` and `notify_actions`) plans the tracker-neutral
  steps an occurrence calls for, `status_actions` those of a status change once applied.

Resolving records when and in which release the fix is: the release given, else the
release the group was last seen in (the one running when it was declared fixed). A new
occurrence of a resolved group is a regression unless it comes from a release no newer
than that one (the fix cannot be in it) or happened before the resolve (a late
delivery): Sentry's users complain about exactly those false reopens.

Releases are ordered by `autotriage.releases`; a different release that has no order
(a commit SHA) always counts as new.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.actions import kinds
from autotriage.actions.kinds import ActionKind, PlannedAction, Step, Tracker
from autotriage.actions.render import code_span
from autotriage.config_sections import PipelineSettings
from autotriage.models import ErrorEvent
from autotriage.releases import is_newer
from autotriage.store.tables import Action, Event, Group, Link

log = logging.getLogger(__name__)

SPIKE_BASELINE_HOURS = 6
Params = dict[str, object] | None
UPDATE_EVERY_SECONDS = 300  # a group's issue summary is refreshed at most this often
MILESTONES = tuple(10**n for n in range(1, 10))


class Decision(enum.Enum):
    """What an occurrence means for its group."""

    NEW = "new"
    REGRESSION = "regression"
    REPEAT = "repeat"
    IGNORED = "ignored"
    OLD_RELEASE = "old_release"  # a resolved group seen in a release the fix is not in


class Status(enum.StrEnum):
    """A group's status, as stored in ``groups.status``."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Signal:
    """Someone declared a group's status: `source` says who ("github", "sentry", ...).

    For a resolve, `at` is when it was declared (default: now), `release` the release the
    fix is in (default: the group's last seen release) and `fixed_commit` the commit.
    """

    status: Status
    source: str
    at: datetime | None = None
    release: str | None = None
    fixed_commit: str | None = None


def decide(group: Group | None, event: ErrorEvent) -> Decision:
    """Classify an occurrence given its group as it stood before the occurrence."""
    if group is None:
        return Decision.NEW
    if group.status == Status.IGNORED:
        return Decision.IGNORED
    if group.status == Status.RESOLVED:
        return Decision.REGRESSION if is_regression(group, event) else Decision.OLD_RELEASE
    return Decision.REPEAT


def apply(group: Group, signal: Signal, now: datetime) -> bool:
    """Apply `signal` to `group`; True if the group's status changed."""
    if signal.status is Status.RESOLVED:
        return resolve(
            group,
            source=signal.source,
            now=now,
            at=signal.at,
            release=signal.release,
            fixed_commit=signal.fixed_commit,
        )
    if signal.status is Status.IGNORED:
        return ignore(group, source=signal.source, now=now)
    return reopen(group, source=signal.source, now=now)


def resolve(
    group: Group,
    *,
    source: str,
    now: datetime,
    at: datetime | None = None,
    release: str | None = None,
    fixed_commit: str | None = None,
) -> bool:
    """Mark `group` resolved: when, in which release the fix is, by which commit.

    An already resolved group only learns a commit it did not know; its release and time
    stay those of the first resolve.
    """
    if group.status == Status.RESOLVED:
        if fixed_commit and not group.fixed_commit:
            group.fixed_commit = fixed_commit[:64]
            group.updated_at = now
        return False
    group.status = Status.RESOLVED
    group.resolved_at = at or now
    fixed_in = release or group.last_release
    group.resolved_in_release = fixed_in[:255] if fixed_in else None
    group.fixed_commit = fixed_commit[:64] if fixed_commit else None
    group.updated_at = now
    log.info(
        "group %s resolved by %s in release %s",
        group.id,
        source,
        group.resolved_in_release,
        extra={"group_id": group.id},
    )
    return True


def ignore(group: Group, *, source: str, now: datetime) -> bool:
    """Mark `group` ignored: its occurrences are counted, never reopen it."""
    if group.status == Status.IGNORED:
        return False
    group.status = Status.IGNORED
    group.updated_at = now
    log.info("group %s ignored by %s", group.id, source, extra={"group_id": group.id})
    return True


def reopen(group: Group, *, source: str, now: datetime) -> bool:
    """Mark a resolved or ignored `group` open again, forgetting its fix."""
    if group.status == Status.OPEN:
        return False
    group.status = Status.OPEN
    _forget_fix(group)
    group.updated_at = now
    log.info("group %s reopened by %s", group.id, source, extra={"group_id": group.id})
    return True


def regress(group: Group) -> None:
    """A resolved group's problem came back: open it and count the regression."""
    group.status = Status.OPEN
    group.regressions += 1


def _forget_fix(group: Group) -> None:
    group.resolved_at = None
    group.resolved_in_release = None
    group.fixed_commit = None


def is_regression(group: Group, event: ErrorEvent) -> bool:
    """Whether an occurrence of a resolved group means the problem came back."""
    seen = event.occurred_at or event.received_at
    if group.resolved_at is not None and seen < group.resolved_at:
        return False  # it happened before the fix was declared: a late delivery
    fixed_in, release = group.resolved_in_release, event.release
    if not fixed_in or not release:
        return True
    if release == fixed_in:
        return False  # the release that was running when it was resolved
    newer = is_newer(release, fixed_in)
    return True if newer is None else newer  # unordered releases: a new one counts


def spike(
    session: Session, group: Group, now: datetime, factor: float, minimum: int
) -> list[tuple[str, str]]:
    """A spike: the last hour's occurrences past `factor` times the group's hourly baseline.

    The pipeline checks every `minimum` occurrences (one indexed count), for groups old
    enough to have a baseline; the hour in the action key makes it one comment an hour.
    """
    hour_ago = now - timedelta(hours=1)
    if group.first_seen > now - timedelta(hours=SPIKE_BASELINE_HOURS):
        return []
    recent = (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.group_id == group.id, Event.received_at >= hour_ago)
        )
        or 0
    )
    hours = max(1.0, (hour_ago - group.first_seen).total_seconds() / 3600)
    baseline = max(1.0, (group.count - recent) / hours)
    if recent < minimum or recent < factor * baseline:
        return []
    return [
        (
            "spike",
            f"{now:%Y-%m-%d %H}:00 UTC: {recent:,} in the last hour, "
            f"about {recent / baseline:.0f} times the usual {baseline:,.1f} an hour",
        )
    ]


# --- the steps each change plans for the group's issues


def _tracker(settings: PipelineSettings) -> Tracker:
    return Tracker.GITHUB if settings.github.configured else Tracker.LOCAL


def _step(
    tracker: Tracker, which: Step, key: str, gid: int, row: int | None, params: Params = None
) -> PlannedAction:
    """A tracker-neutral step, as the action `tracker` performs it."""
    return PlannedAction(kinds.tracker_kind(tracker, which), key, gid, row, params)


def plan_actions(
    decision: Decision,
    group: Group,
    event: ErrorEvent,
    event_row_id: int,
    settings: PipelineSettings,
    now: datetime,
) -> list[PlannedAction]:
    """The actions an occurrence calls for; their keys make each happen at most once."""
    gid, row, n = group.id, event_row_id, group.regressions
    tracker = _tracker(settings)
    if decision is Decision.NEW:
        return [
            PlannedAction(ActionKind.ANALYSIS, kinds.analysis_key(gid, 0), gid, row),
            _step(tracker, Step.OPEN, kinds.open_key(tracker, gid), gid, row),
        ]
    if decision is Decision.REGRESSION:
        release = f" in release {code_span(event.release)}" if event.release else ""
        body = f"This error came back{release} (regression #{n})."
        key = kinds.reopen_key(tracker, gid, n)
        return [
            PlannedAction(ActionKind.ANALYSIS, kinds.analysis_key(gid, n), gid, row),
            _step(tracker, Step.REOPEN, key, gid, row, {"reopen": True, "body": body}),
        ]
    if decision in (Decision.IGNORED, Decision.OLD_RELEASE):
        return []
    planned = []
    github = settings.github
    if (
        tracker is Tracker.GITHUB
        and not github.github_webhook_secret
        and github.github_poll_seconds
    ):
        # without webhooks, re-read the state now and then while the group is active
        poll = int(now.timestamp() // github.github_poll_seconds)
        planned.append(
            PlannedAction(ActionKind.GITHUB_SYNC, kinds.sync_poll_key(gid, poll), gid, row)
        )
    if group.count in MILESTONES:
        body = f"This error has now occurred {group.count:,} times."
        key = kinds.milestone_key(tracker, gid, group.count)
        planned.append(_step(tracker, Step.COMMENT, key, gid, row, {"body": body}))
    bucket = int(now.timestamp()) // UPDATE_EVERY_SECONDS
    planned.append(_step(tracker, Step.UPDATE, kinds.update_key(tracker, gid, bucket), gid, row))
    return planned


def notify_actions(
    decision: Decision, group: Group, event_row_id: int, settings: PipelineSettings
) -> list[PlannedAction]:
    """Slack posts: a new group, a regression, a spike (a count milestone), when configured."""
    if not settings.slack.configured:
        return []
    gid = group.id
    if decision is Decision.NEW:
        reason, key = "new", kinds.slack_key("new", gid)
    elif decision is Decision.REGRESSION:
        reason, key = "regression", kinds.slack_key("regression", gid, group.regressions)
    elif decision is Decision.REPEAT and group.count in MILESTONES:
        reason, key = "spike", kinds.slack_key("spike", gid, group.count)
    else:
        return []
    return [PlannedAction(ActionKind.SLACK_NOTIFY, key, gid, event_row_id, {"reason": reason})]


def repeat_news(group: Group, event: ErrorEvent) -> list[tuple[str, str]]:
    """A repeat seen in a release or environment the group was not last seen in."""
    found = []
    if event.release and group.last_release and event.release != group.last_release:
        found.append(("release", event.release))
    if event.environment and group.environment and event.environment != group.environment:
        found.append(("environment", event.environment))
    return found


def news_comments(
    news: list[tuple[str, str]], group: Group, event_row_id: int, settings: PipelineSettings
) -> list[PlannedAction]:
    """One comment per group and new release, environment or spike hour (the key: once)."""
    tracker, planned = _tracker(settings), []
    for what, value in news:
        body = (
            f"Spike at {value}."
            if what == "spike"
            else f"This error now also occurs in {what} {code_span(value)}."
        )
        key = kinds.news_key(tracker, group.id, what, value)
        planned.append(_step(tracker, Step.COMMENT, key, group.id, event_row_id, {"body": body}))
    return planned


_LINKED = {"local": Tracker.LOCAL, "github": Tracker.GITHUB}  # ``links.tracker`` values
_CLOSE_REASON = {Status.RESOLVED: "completed", Status.IGNORED: "not_planned"}


def _need(audit_id: int | None) -> int:
    if audit_id is None:
        raise ValueError("a status change needs its audit entry or its signal")
    return audit_id


def status_actions(
    session: Session,
    group: Group,
    audit_id: int | None,
    body: str,
    *,
    signal: tuple[str, str] | None = None,
    skip: str | None = None,
) -> list[PlannedAction]:
    """Carry a status change of `group` (already applied) to its issues.

    One close (resolved: completed; ignored: not planned) or reopen per tracker the group
    has an issue in, or one still being opened; `audit_id` (the change's audit entry)
    makes each happen once, or for a status hook's change `signal` (its source and
    delivery). The tracker the signal came from (`skip`) is left alone: its issue
    already says so. The action carries the status it stands for, so one that a later
    change overtook does nothing.
    """
    gid = group.id
    trackers = {
        _LINKED[name]
        for name in session.scalars(select(Link.tracker).where(Link.group_id == gid))
        if name in _LINKED
    }
    openers = {kinds.open_key(t, gid): t for t in Tracker}
    trackers.update(
        openers[key]
        for key in session.scalars(
            select(Action.idempotency_key).where(Action.idempotency_key.in_(list(openers)))
        )
    )
    if skip in _LINKED:
        trackers.discard(_LINKED[skip])
    status = Status(group.status)
    planned = []
    for tracker in sorted(trackers):
        params: dict[str, object] = {"body": body, "status": str(status)}
        if status is Status.OPEN:
            step, params["reopen"] = Step.REOPEN, True
            key = (
                kinds.signal_reopen_key(tracker, gid, *signal)
                if signal is not None
                else kinds.console_reopen_key(tracker, gid, _need(audit_id))
            )
        else:
            step, params["close"] = Step.CLOSE, _CLOSE_REASON[status]
            key = (
                kinds.signal_close_key(tracker, gid, *signal)
                if signal is not None
                else kinds.close_key(tracker, gid, _need(audit_id))
            )
        planned.append(_step(tracker, step, key, gid, group.latest_event_id, params))
    return planned
