"""What an operator can do from the console; each change is audited with who made it.

Status changes go through the lifecycle's `resolve`, `ignore` and `reopen`, the same
functions the GitHub and Sentry status hooks call, so a console resolve means exactly
what a closed issue means. Every change commits together with its audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage import lifecycle
from autotriage.actions.kinds import ActionKind, PlannedAction
from autotriage.actions.outbox import enqueue
from autotriage.store import Store
from autotriage.store.audit import record
from autotriage.store.tables import Action, Group

SOURCE = "console"
RETRYABLE = ("retryable", "permanent", "failed")
STATUS_CHANGES = ("resolve", "resolve_next", "ignore", "reopen")


def rerun_analysis_key(group_id: int, audit_id: int) -> str:
    """The idempotency key of an analysis an operator asked for (one per request)."""
    return f"analysis:{group_id}:console:{audit_id}"


def _change(group: Group, change: str, now: datetime) -> bool:
    if change == "resolve":
        changed = lifecycle.resolve(group, source=SOURCE, now=now)
        # Resolved "now": any later occurrence, in whatever release, is a regression.
        if changed:
            group.resolved_in_release = None
        return changed
    if change == "resolve_next":
        # The fix ships in the next release: occurrences from the current one don't reopen.
        return lifecycle.resolve(group, source=SOURCE, now=now, release=group.last_release)
    if change == "ignore":
        return lifecycle.ignore(group, source=SOURCE, now=now)
    if change == "reopen":
        return lifecycle.reopen(group, source=SOURCE, now=now)
    raise ValueError(f"unknown change {change!r}")


def change_status(
    store: Store, group_ids: Sequence[int], change: str, actor: str, now: datetime
) -> dict[str, Any]:
    """Apply one status `change` to each group; say which changed and which were missing."""
    if change not in STATUS_CHANGES:
        raise ValueError(f"unknown change {change!r}")
    changed, missing = [], []
    with store.transaction() as session:
        for gid in dict.fromkeys(group_ids):
            group = session.get(Group, gid, with_for_update=True)
            if group is None:
                missing.append(gid)
                continue
            before = group.status
            if _change(group, change, now):
                changed.append(gid)
                detail = {"from": before, "to": group.status}
                if group.resolved_in_release:
                    detail["release"] = group.resolved_in_release
                record(session, actor=actor, action=change, now=now, group_id=gid, detail=detail)
    return {"changed": changed, "missing": missing}


def retry_action(store: Store, action_id: int, actor: str, now: datetime) -> Action | None:
    """Make a failed action due again now; None if it does not exist or has not failed."""
    with store.transaction() as session:
        action = session.get(Action, action_id, with_for_update=True)
        if action is None or action.status not in RETRYABLE:
            return None
        before = action.status
        action.status, action.next_attempt_at, action.updated_at = "pending", now, now
        action.attempts = 0
        record(
            session,
            actor=actor,
            action="retry",
            now=now,
            group_id=action.group_id,
            detail={"action": action.id, "kind": action.kind, "from": before},
        )
        return action


def rerun_analysis(store: Store, group_id: int, actor: str, now: datetime) -> bool:
    """Queue a fresh analysis of the group's latest event; False if there is no group."""
    with store.transaction() as session:
        group = session.get(Group, group_id)
        if group is None:
            return False
        entry = record(session, actor=actor, action="analyze", now=now, group_id=group_id)
        key = rerun_analysis_key(group_id, entry.id)
        planned = PlannedAction(ActionKind.ANALYSIS, key, group_id, group.latest_event_id)
        enqueue(session, planned, now)
        entry.detail = {"key": key}
    return True


def audit_scan(store: Store, outcome: dict[str, Any], actor: str, now: datetime) -> None:
    """Record that an operator started (or tried to start) a scan."""
    with store.transaction() as session:
        record(session, actor=actor, action="scan", now=now, detail=dict(outcome))


def failed_actions(session: Session, group_id: int) -> list[Action]:
    """The group's actions an operator may retry."""
    return list(
        session.scalars(
            select(Action).where(Action.group_id == group_id, Action.status.in_(RETRYABLE))
        )
    )
