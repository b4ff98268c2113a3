"""One group as the console shows it, and the sources page's health figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.reports import group_detail
from autotriage.store.audit import entries
from autotriage.store.events import load_event
from autotriage.store.groups import hour_of, hourly_counts, series
from autotriage.store.scans import Scan, scan_dict
from autotriage.store.tables import Action, Cursor, Delivery, Event, Group

GRAPH_DAYS = 14
LATEST_EVENTS = 10
MARKER_SAMPLE = 500


def _release_markers(session: Session, group_id: int, since: datetime) -> list[dict[str, Any]]:
    """When each release was first seen for the group, from its newest events only."""
    seen = func.coalesce(Event.occurred_at, Event.received_at)
    rows = session.execute(
        select(seen, Event.payload)
        .where(Event.group_id == group_id, seen >= since)
        .order_by(Event.id.desc())
        .limit(MARKER_SAMPLE)
    ).all()
    first: dict[str, datetime] = {}
    for at, payload in rows:
        release = payload.get("release") if isinstance(payload, dict) else None
        if isinstance(release, str) and release:
            moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            first[release] = min(first.get(release, moment), moment)
    return [{"release": r, "at": at} for r, at in sorted(first.items(), key=lambda i: i[1])]


def group_page(session: Session, group: Group, now: datetime) -> dict[str, Any]:
    """Everything the group page shows."""
    detail = group_detail(session, group)
    since = hour_of(now) - timedelta(days=GRAPH_DAYS) + timedelta(hours=1)
    buckets = hourly_counts(session, [group.id], since).get(group.id, {})
    markers = []
    for marker in _release_markers(session, group.id, since):
        hours_ago = int((hour_of(now) - hour_of(marker["at"])).total_seconds() // 3600)
        markers.append({**marker, "index": GRAPH_DAYS * 24 - 1 - hours_ago})
    latest = session.scalars(
        select(Event)
        .where(Event.group_id == group.id)
        .order_by(Event.id.desc())
        .limit(LATEST_EVENTS)
    ).all()
    event = load_event(latest[0]) if latest else None
    actions = session.scalars(
        select(Action).where(Action.group_id == group.id).order_by(Action.id.desc())
    ).all()
    return {
        "group": group,
        "detail": detail,
        "graph": series(buckets, now, GRAPH_DAYS * 24),
        "markers": markers,
        "event": event,
        "latest": [
            {"row": row, "json": json.dumps(row.payload, indent=2, default=str)} for row in latest
        ],
        "actions": actions,
        "fix": fix_attempt(actions),
        "audit": entries(session, group.id),
        "analysis": group.analysis or None,
    }


def fix_attempt(actions: Any) -> dict[str, Any] | None:
    """The newest fix attempt recorded on a fix action, in ``autotriage fix --json``'s shape.

    Fix attempts are not yet stored by the worker (``autotriage fix`` prints them), so this
    is None until an action of a ``fix`` kind carries an ``attempt`` in its params.
    """
    for action in actions:
        if not action.kind.startswith(("fix", "github.fix")):
            continue
        attempt = (action.params or {}).get("attempt") or {}
        failed = next((g for g in attempt.get("gates") or [] if not g.get("ok")), None)
        evidence = attempt.get("evidence")
        return {
            "action": action,
            "fixer": attempt.get("fixer"),
            "diff": attempt.get("patch"),
            "evidence": json.dumps(evidence, indent=2) if evidence else None,
            "failed_gate": f"{failed['gate']}: {failed.get('reason', '')}" if failed else None,
            "outcome": attempt.get("outcome"),
        }
    return None


def outbox_depth(session: Session) -> dict[str, int]:
    """Actions waiting to run (pending, retryable or running), per kind."""
    rows = session.execute(
        select(Action.kind, func.count())
        .where(Action.status.in_(("pending", "retryable", "running")))
        .group_by(Action.kind)
    )
    return {str(kind): int(n) for kind, n in rows}


def source_health(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Per source that ever delivered: last delivery, last hour's count, last error."""
    last = dict(
        session.execute(
            select(Event.source, func.max(Event.received_at)).group_by(Event.source)
        ).all()
    )
    recent = dict(
        session.execute(
            select(Event.source, func.count())
            .where(Event.received_at >= now - timedelta(hours=1))
            .group_by(Event.source)
        ).all()
    )
    deliveries = dict(
        session.execute(
            select(Delivery.source, func.max(Delivery.received_at)).group_by(Delivery.source)
        ).all()
    )
    failed: dict[str, str | None] = {}
    for source, error in session.execute(
        select(Event.source, Event.error)
        .where(Event.status == "failed")
        .order_by(Event.id.desc())
        .limit(200)
    ):
        failed.setdefault(source, error)
    names = sorted(set(last) | set(deliveries))
    return [
        {
            "source": name,
            "last_delivery": max(filter(None, (last.get(name), deliveries.get(name)))),
            "last_hour": int(recent.get(name, 0)),
            "last_error": failed.get(name),
        }
        for name in names
    ]


def scan_history(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The newest scans with their progress."""
    rows = session.scalars(select(Scan).order_by(Scan.id.desc()).limit(limit))
    return [scan_dict(row) for row in rows]


def cursors(session: Session) -> list[Cursor]:
    """Where each poller stopped."""
    return list(session.scalars(select(Cursor).order_by(Cursor.name)))
