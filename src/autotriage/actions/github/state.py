"""What a GitHub issue's state means for its group, and the regression rule.

* closed as completed -> group ``resolved`` (when, in which release it was last seen, and
  the fixing commit when known);
* closed as not planned (or as a duplicate) -> group ``ignored``: it never reopens;
* reopened by a person -> group ``open`` again.

A new occurrence of a resolved group is a regression unless it comes from a release no
newer than the one the group was resolved in (the fix cannot be in it) or happened
before the issue was closed (a late delivery): Sentry's users complain about exactly
those false reopens.

A spike is the last hour's occurrences past a multiple of the group's hourly baseline.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.models import ErrorEvent, utcnow
from autotriage.store.tables import Event, Group, Link

TRACKER = "github"
SPIKE_BASELINE_HOURS = 6
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-+.]?([0-9A-Za-z.-]+))?$")


def link_for_issue(session: Session, number: int) -> Link | None:
    """The link to GitHub issue `number`, if a group has one."""
    return session.scalars(
        select(Link).where(Link.tracker == TRACKER, Link.external_id == str(number))
    ).first()


def apply_issue_state(
    group: Group,
    link: Link | None,
    *,
    state: str,
    state_reason: str | None,
    closed_at: datetime | None = None,
    by_person: bool = True,
) -> str | None:
    """Bring `group` in line with its issue; return the new group status, if it changed."""
    now = utcnow()
    if link is not None:
        link.state, link.updated_at = state, now
    if state == "closed":
        new = "ignored" if state_reason in ("not_planned", "duplicate") else "resolved"
        if group.status == new:
            return None
        group.status = new
        if new == "resolved":
            group.resolved_at = closed_at or now
            group.resolved_in_release = group.last_release
        group.updated_at = now
        return new
    if state == "open" and by_person and group.status in ("resolved", "ignored"):
        group.status = "open"
        group.resolved_at = None
        group.resolved_in_release = None
        group.fixed_commit = None
        group.updated_at = now
        return "open"
    return None


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


def _version(text: str) -> tuple[int, ...] | None:
    found = _VERSION.match(text.strip())
    if not found:
        return None
    return tuple(int(part) for part in found.group(1).split("."))


def is_regression(group: Group, event: ErrorEvent) -> bool:
    """Whether an occurrence of a resolved group means the problem came back."""
    seen = event.occurred_at or event.received_at
    if group.resolved_at is not None and seen < group.resolved_at:
        return False  # it happened before the fix was declared: a late delivery
    fixed_in, release = group.resolved_in_release, event.release
    if not fixed_in or not release:
        return True
    if release == fixed_in:
        return False  # the release that was running when the issue was closed
    old, new = _version(fixed_in), _version(release)
    if old is not None and new is not None:
        return new > old
    return True  # releases we cannot order (commit hashes): a new one counts
