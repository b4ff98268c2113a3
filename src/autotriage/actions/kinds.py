"""What an action is: its kind and idempotency key, the handler that performs it and
what that returns, and the `IssueTracker` protocol with the context trackers render from.

Kinds and keys: one enum, one key constructor per kind. A key is what makes an action
happen at most once (the outbox's unique constraint), so every key is built here and
nowhere else. The strings are those stored in existing databases; changing one would let
an action already done run again.

Handlers: an action runs in three steps so no network call ever happens inside a database
transaction, and the local effects of an action commit together with its outcome:

1. `prepare(session, action)` reads what the action needs (inside a read transaction);
2. `perform(prepared)` talks to the outside world, with no transaction open;
3. `record(session, action, result)` writes local effects in the transaction that
   also stores the outcome, so they happen exactly once.

Trackers: the local tracker (`actions.tracker`) and GitHub (`actions.github.handlers`)
perform the pipeline's tracker-neutral steps (`Step`) with their own handlers, and both
render from the same `IssueContext`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from autotriage.actions.render import GroupView
from autotriage.analysis import Analysis
from autotriage.models import ErrorEvent
from autotriage.store.events import load_event
from autotriage.store.groups import latest_event
from autotriage.store.tables import Action, Group


class ActionKind(enum.StrEnum):
    """Every kind of outbound action (the ``actions.kind`` column)."""

    ANALYSIS = "analysis"
    TRACKER_OPEN = "tracker.open"
    TRACKER_UPDATE = "tracker.update"
    TRACKER_COMMENT = "tracker.comment"
    GITHUB_OPEN = "github.open"
    GITHUB_UPDATE = "github.update"
    GITHUB_COMMENT = "github.comment"
    GITHUB_SYNC = "github.sync"
    GITHUB_ASSIGN = "github.assign"
    SLACK_NOTIFY = "slack.notify"
    FIX_PROPOSE = "fix.propose"


class Tracker(enum.StrEnum):
    """Where a group's issue lives; the prefix of its tracker actions' kinds and keys."""

    LOCAL = "tracker"
    GITHUB = "github"


class Step(enum.Enum):
    """Tracker-neutral steps the pipeline plans; each tracker maps them to its kinds."""

    OPEN = "open"
    UPDATE = "update"
    COMMENT = "comment"
    REOPEN = "reopen"  # a comment that also reopens the issue
    CLOSE = "close"  # a comment that also closes the issue (completed or not planned)


_KINDS = {
    (Tracker.LOCAL, Step.OPEN): ActionKind.TRACKER_OPEN,
    (Tracker.LOCAL, Step.UPDATE): ActionKind.TRACKER_UPDATE,
    (Tracker.LOCAL, Step.COMMENT): ActionKind.TRACKER_COMMENT,
    (Tracker.LOCAL, Step.REOPEN): ActionKind.TRACKER_COMMENT,
    (Tracker.LOCAL, Step.CLOSE): ActionKind.TRACKER_COMMENT,
    (Tracker.GITHUB, Step.OPEN): ActionKind.GITHUB_OPEN,
    (Tracker.GITHUB, Step.UPDATE): ActionKind.GITHUB_UPDATE,
    (Tracker.GITHUB, Step.COMMENT): ActionKind.GITHUB_COMMENT,
    (Tracker.GITHUB, Step.REOPEN): ActionKind.GITHUB_COMMENT,
    (Tracker.GITHUB, Step.CLOSE): ActionKind.GITHUB_COMMENT,
}


def tracker_kind(tracker: Tracker, step: Step) -> ActionKind:
    """The action kind that performs `step` on `tracker`."""
    return _KINDS[(tracker, step)]


def analysis_key(group_id: int, regression: int) -> str:
    """The analysis of a group as new (0) or at its `regression`-th return."""
    return f"{ActionKind.ANALYSIS}:{group_id}:{regression}"


def console_analysis_key(group_id: int, audit_id: int) -> str:
    """An analysis an operator asked for: one per request (its audit entry)."""
    return f"{ActionKind.ANALYSIS}:{group_id}:console:{audit_id}"


def open_key(tracker: Tracker, group_id: int) -> str:
    """Open the group's issue: once per group and tracker."""
    return f"{tracker}.open:{group_id}"


def update_key(tracker: Tracker, group_id: int, bucket: int) -> str:
    """Refresh the issue's summary: once per group and time bucket."""
    return f"{tracker}.update:{group_id}:{bucket}"


def reopen_key(tracker: Tracker, group_id: int, regression: int) -> str:
    """Reopen (and comment) for the group's `regression`-th return."""
    return f"{tracker}.reopen:{group_id}:{regression}"


def reopen_key_prefix(tracker: Tracker, group_id: int) -> str:
    """What every `reopen_key` of the group starts with (to find those still due)."""
    return f"{tracker}.reopen:{group_id}:"


def console_reopen_key(tracker: Tracker, group_id: int, audit_id: int) -> str:
    """Reopen the issue because an operator reopened the group (audit entry `audit_id`).

    It starts like every `reopen_key`, so a closed issue seen while it waits is stale news.
    """
    return f"{reopen_key_prefix(tracker, group_id)}console:{audit_id}"


def close_key(tracker: Tracker, group_id: int, audit_id: int) -> str:
    """Close the issue because an operator resolved or ignored the group (`audit_id`)."""
    return f"{close_key_prefix(tracker, group_id)}{audit_id}"


def signal_close_key(tracker: Tracker, group_id: int, source: str, token: str) -> str:
    """Close the issue because `source` (Sentry, GitHub) resolved or ignored the group;
    `token` (its delivery id) makes it happen once."""
    return f"{close_key_prefix(tracker, group_id)}{source}:{token}"[:255]


def signal_reopen_key(tracker: Tracker, group_id: int, source: str, token: str) -> str:
    """Reopen the issue because `source` reopened the group (delivery `token`)."""
    return f"{reopen_key_prefix(tracker, group_id)}{source}:{token}"[:255]


def close_key_prefix(tracker: Tracker, group_id: int) -> str:
    """What every `close_key` of the group starts with (to find those still due)."""
    return f"{tracker}.close:{group_id}:"


def assign_key(group_id: int, audit_id: int) -> str:
    """(Un)assign the GitHub issue because an operator did so to the group (`audit_id`)."""
    return f"{ActionKind.GITHUB_ASSIGN}:{group_id}:{audit_id}"


def milestone_key(tracker: Tracker, group_id: int, count: int) -> str:
    """The comment marking the group's `count`-th occurrence."""
    return f"{tracker}.milestone:{group_id}:{count}"


def news_key(tracker: Tracker, group_id: int, what: str, value: str) -> str:
    """The comment for a new release, environment or spike hour (`what`) of the group."""
    return f"{tracker}.{what}:{group_id}:{value.split('UTC')[0]}"[:255]


def sync_poll_key(group_id: int, poll: int) -> str:
    """Re-read the GitHub issue's state in poll period `poll`."""
    return f"{ActionKind.GITHUB_SYNC}:{group_id}:poll:{poll}"


def sync_delivery_key(group_id: int, delivery: str) -> str:
    """Read the GitHub issue's closing commit after webhook delivery `delivery`."""
    return f"{ActionKind.GITHUB_SYNC}:{group_id}:{delivery}"


def slack_key(reason: str, group_id: int, number: int | None = None) -> str:
    """Post to Slack about a new group, a regression or a spike (`number` tells which)."""
    tail = "" if number is None else f":{number}"
    return f"{ActionKind.SLACK_NOTIFY}:{reason}:{group_id}{tail}"


def fix_key(group_id: int, attempt: int) -> str:
    """Propose a fix for the group after its analysis: new (0) or its `attempt`-th return."""
    return f"{ActionKind.FIX_PROPOSE}:{group_id}:{attempt}"


# --- handlers and their results

Outcome = Literal["ok", "retryable", "permanent"]


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of one attempt: ok, or a failure the outbox may or may not retry."""

    status: Outcome
    external_id: str | None = None
    external_url: str | None = None
    detail: str | None = None
    retry_after: float | None = None
    data: Any = None

    @classmethod
    def ok(cls, external_id: str | None = None, url: str | None = None, **kw: Any) -> ActionResult:
        """A successful attempt."""
        return cls("ok", external_id, url, **kw)

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None) -> ActionResult:
        """A failure worth trying again later."""
        return cls("retryable", detail=detail, retry_after=retry_after)

    @classmethod
    def fail(cls, detail: str) -> ActionResult:
        """A failure that retrying will not fix."""
        return cls("permanent", detail=detail)


class ActionHandler(Protocol):
    """One kind of outbound action."""

    kind: str

    def prepare(self, session: Session, action: Action) -> Any:
        """Read and render what `perform` needs."""

    def perform(self, prepared: Any) -> ActionResult:
        """Do the action; never raises for a vendor's 4xx/5xx."""

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        """Write the action's local effects; runs in the transaction storing the outcome."""


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action the pipeline decided on; its key makes it happen at most once."""

    kind: ActionKind
    key: str
    group_id: int | None = None
    event_id: int | None = None
    params: dict[str, Any] | None = None


# --- trackers


@dataclass(frozen=True, slots=True)
class IssueContext:
    """Everything an issue is rendered from."""

    group: GroupView
    event: ErrorEvent
    analysis: Analysis | None


class IssueTracker(Protocol):
    """Where a group's issue lives: the handlers performing each `Step` there."""

    name: Tracker

    def handlers(self) -> list[ActionHandler]:
        """One handler per action kind of this tracker (`tracker_kind`)."""
        ...


def issue_context(session: Session, group_id: int | None) -> IssueContext | None:
    """Load a group, its latest event and its analysis for rendering."""
    group = session.get(Group, group_id) if group_id is not None else None
    if group is None:
        return None
    row = latest_event(session, group)
    if row is None:
        return None
    view = GroupView(
        id=group.id,
        fingerprint=group.fingerprint,
        title=group.title,
        level=group.level,
        count=group.count,
        first_seen=group.first_seen,
        last_seen=group.last_seen,
        sources=list(group.sources or []),
        service=group.service,
        environment=group.environment,
        release=group.last_release,
    )
    analysis = Analysis.model_validate(group.analysis) if group.analysis else None
    return IssueContext(view, load_event(row), analysis)
