"""Action kinds and their idempotency keys: one enum, one key constructor per kind.

A key is what makes an action happen at most once (the outbox's unique constraint), so
every key is built here and nowhere else. The strings are those stored in existing
databases; changing one would let an action already done run again.
"""

from __future__ import annotations

import enum


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


def close_key_prefix(tracker: Tracker, group_id: int) -> str:
    """What every `close_key` of the group starts with (to find those still due)."""
    return f"{tracker}.close:{group_id}:"


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
