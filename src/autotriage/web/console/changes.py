"""What an operator can do from the console; each change is audited with who made it.

Status changes go through the lifecycle's `resolve`, `ignore` and `reopen`, the same
functions the GitHub and Sentry status hooks call, so a console resolve means exactly
what a closed issue means, and closes or reopens the group's issues in turn
(`autotriage.lifecycle.status_actions`). Every change commits together with its audit
entry and those actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage import lifecycle
from autotriage.actions.kinds import (
    ActionKind,
    PlannedAction,
    Tracker,
    assign_key,
    console_analysis_key,
    open_key,
)
from autotriage.actions.outbox import enqueue
from autotriage.actions.render import code_span
from autotriage.lifecycle import status_actions
from autotriage.store import Store
from autotriage.store.audit import AuditEntry, record
from autotriage.store.tables import Action, Group, Link

SOURCE = "console"
RETRYABLE = ("retryable", "permanent", "failed")
STATUS_CHANGES = ("resolve", "resolve_next", "ignore", "reopen")


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


def _issue_note(change: str, actor: str, release: str | None) -> str:
    """The comment an issue gets when an operator changes its group's status."""
    who = "".join(c for c in actor if c not in "@`*_[]<>\\") or "an operator"
    said = {
        "resolve": "resolved",
        "resolve_next": "resolved",
        "ignore": "ignored",
        "reopen": "reopened",
    }[change]
    note = f"{said.capitalize()} from the autotriage console by {who}."
    if change == "resolve_next" and release:
        note += f" The fix is expected in the release after {code_span(release)}."
    return note


def change_status(
    store: Store, group_ids: Sequence[int], change: str, actor: str, now: datetime
) -> dict[str, Any]:
    """Apply one status `change` to each group; say which changed and which were missing.

    A group that changed gets its issues closed (resolved: completed; ignored: not
    planned) or reopened, through the outbox like every other tracker action.
    """
    if change not in STATUS_CHANGES:
        raise ValueError(f"unknown change {change!r}")
    changed, missing, refused, planned = [], [], [], 0
    with store.transaction() as session:
        for gid in dict.fromkeys(group_ids):
            group = session.get(Group, gid, with_for_update=True)
            if group is None:
                missing.append(gid)
                continue
            if change == "resolve_next" and not group.last_release:
                refused.append(gid)  # no release to say the fix comes after
                continue
            before = group.status
            if _change(group, change, now):
                changed.append(gid)
                detail: dict[str, Any] = {"from": before, "to": group.status}
                if group.resolved_in_release:
                    detail["release"] = group.resolved_in_release
                entry = record(
                    session, actor=actor, action=change, now=now, group_id=gid, detail=detail
                )
                note = _issue_note(change, actor, group.resolved_in_release)
                actions = status_actions(session, group, entry.id, note)
                for action in actions:
                    enqueue(session, action, now)
                entry.detail = {**detail, "issues": [a.key for a in actions]}
                planned += len(actions)
    return {"changed": changed, "missing": missing, "refused": refused, "planned": planned}


def _has_github_issue(session: Session, gid: int) -> bool:
    """Whether the group has a GitHub issue, or one still being opened."""
    linked = session.scalars(
        select(Link.id).where(Link.group_id == gid, Link.tracker == str(Tracker.GITHUB))
    ).first()
    opener = open_key(Tracker.GITHUB, gid)
    return (
        linked is not None
        or session.scalars(select(Action.id).where(Action.idempotency_key == opener)).first()
        is not None
    )


def _assigned_login(session: Session, gid: int) -> str:
    """The GitHub login the group's latest "assign to me" assigned its issue to, if any."""
    latest = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.group_id == gid, AuditEntry.action == "assign")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return str((latest.detail or {}).get("github") or "") if latest else ""


def assign(
    store: Store,
    group_ids: Sequence[int],
    actor: str,
    now: datetime,
    *,
    to_me: bool = True,
    github: str = "",
) -> dict[str, Any]:
    """Assign each group to `actor` ("assign to me"), or unassign it; audited per group.

    Only a group whose assignee actually changes gets an audit entry. When the group has
    a GitHub issue, the issue is assigned to the operator's GitHub login `github` (when
    they gave one), and unassigning removes whoever the last assign added, both through
    the outbox in the same transaction.
    """
    changed, missing, planned = [], [], 0
    assignee = actor[:255] if to_me else None
    with store.transaction() as session:
        for gid in dict.fromkeys(group_ids):
            group = session.get(Group, gid, with_for_update=True)
            if group is None:
                missing.append(gid)
                continue
            if group.assignee == assignee:
                continue
            login = github if to_me else _assigned_login(session, gid)
            detail: dict[str, Any] = {"from": group.assignee, "to": assignee}
            group.assignee, group.updated_at = assignee, now
            entry = record(
                session,
                actor=actor,
                action="assign" if to_me else "unassign",
                now=now,
                group_id=gid,
                detail=detail,
            )
            if login and _has_github_issue(session, gid):
                params = {"login": login, "assign": to_me}
                key = assign_key(gid, entry.id)
                enqueue(
                    session,
                    PlannedAction(
                        ActionKind.GITHUB_ASSIGN, key, gid, group.latest_event_id, params
                    ),
                    now,
                )
                entry.detail = {**detail, "github": login, "key": key}
                planned += 1
            changed.append(gid)
    return {"changed": changed, "missing": missing, "planned": planned}


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
        key = console_analysis_key(group_id, entry.id)
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
