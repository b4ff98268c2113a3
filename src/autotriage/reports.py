"""The JSON views of groups that the API and the CLI both print."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.store.events import load_event
from autotriage.store.fixes import attempt_json, latest_attempt
from autotriage.store.groups import group_links, latest_event, tracker_item
from autotriage.store.tables import Action, Group


def group_summary(session: Session, group: Group) -> dict[str, Any]:
    """A group as listed: identity, status, counts, sources and its linked tracker items."""
    return {
        "id": group.id,
        "fingerprint": group.fingerprint,
        "fingerprint_version": group.fingerprint_version,
        "title": group.title,
        "culprit": group.culprit,
        "status": group.status,
        "level": group.level,
        "count": group.count,
        # distinct users the events named, exact below `store.groups.EXACT_USERS` (a floor at it)
        "users": group.users,
        "first_seen": group.first_seen.isoformat(),
        "last_seen": group.last_seen.isoformat(),
        "sources": list(group.sources or []),
        "service": group.service,
        "environment": group.environment,
        "release": group.last_release,
        "links": group_links(session, group.id),
    }


def group_detail(session: Session, group: Group) -> dict[str, Any]:
    """A group with its latest event, its analysis, its tracker item and its actions."""
    detail = group_summary(session, group)
    row = latest_event(session, group)
    if row is not None:
        event = load_event(row)
        detail["latest_event"] = {
            "id": row.id,
            **event.as_replay_dict(group.fingerprint),
            "received_at": event.received_at.isoformat(),
            "link": event.link,
        }
    else:
        detail["latest_event"] = None
    detail["analysis"] = group.analysis
    item = tracker_item(session, group.id)
    detail["tracker_item"] = (
        None
        if item is None
        else {
            "id": item.id,
            "title": item.title,
            "body": item.body,
            "labels": item.labels,
            "state": item.state,
            "state_reason": item.state_reason,
            "comments": item.comments,
        }
    )
    fix = latest_attempt(session, group.id)
    detail["fix_attempt"] = attempt_json(fix) if fix is not None else None
    actions = session.scalars(
        select(Action).where(Action.group_id == group.id).order_by(Action.id)
    ).all()
    detail["actions"] = [
        {
            "id": a.id,
            "kind": a.kind,
            "key": a.idempotency_key,
            "status": a.status,
            "attempts": a.attempts,
            "external_id": a.external_id,
            "external_url": a.external_url,
            "detail": a.detail,
        }
        for a in actions
    ]
    return detail
