"""Stand-in for `autotriage.lifecycle` until it lands on main (same signatures).

The console calls `resolve`, `ignore` and `reopen` through this module only; once
``lifecycle.py`` is merged this module is deleted and the console imports it instead.
"""

from __future__ import annotations

from datetime import datetime

from autotriage.store.tables import Group


def resolve(group: Group, *, source: str, now: datetime, release: str | None = None) -> bool:
    """Mark `group` resolved, in `release` (default: the release it was last seen in)."""
    del source
    if group.status == "resolved":
        return False
    group.status, group.resolved_at = "resolved", now
    fixed_in = release or group.last_release
    group.resolved_in_release = fixed_in[:255] if fixed_in else None
    group.updated_at = now
    return True


def ignore(group: Group, *, source: str, now: datetime) -> bool:
    """Mark `group` ignored."""
    del source
    if group.status == "ignored":
        return False
    group.status, group.updated_at = "ignored", now
    return True


def reopen(group: Group, *, source: str, now: datetime) -> bool:
    """Mark `group` open again, forgetting its fix."""
    del source
    if group.status == "open":
        return False
    group.status, group.updated_at = "open", now
    group.resolved_at = group.resolved_in_release = group.fixed_commit = None
    return True
