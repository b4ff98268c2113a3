"""One group as the console shows it, and the sources page's health figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionKind
from autotriage.models import ErrorEvent, Frame
from autotriage.reports import group_detail
from autotriage.store.audit import entries
from autotriage.store.events import load_event
from autotriage.store.fixes import latest_attempt
from autotriage.store.groups import hour_of, hourly_counts, series
from autotriage.store.scans import Scan, scan_dict
from autotriage.store.tables import Action, Cursor, Delivery, Event, FixAttemptRow, Group
from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_value

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


def _graph(
    title: str,
    unit: str,
    points: list[int],
    releases: list[dict[str, Any]],
    now: datetime,
    step: int,
) -> dict[str, Any]:
    """One bar chart: a bar per `step` hours, a marker where each release was first seen."""
    markers = []
    for marker in releases:
        hours_ago = int((hour_of(now) - hour_of(marker["at"])).total_seconds() // 3600)
        index = len(points) - 1 - hours_ago // step
        if 0 <= index < len(points):
            markers.append({**marker, "index": index})
    return {"title": title, "unit": unit, "points": points, "markers": markers}


def frame_runs(frames: list[Frame]) -> list[dict[str, Any]]:
    """`frames` newest first, numbered as the trace counts them (oldest is 1), in runs of
    in-app and library frames, so a long run of library frames can be folded away."""
    runs: list[dict[str, Any]] = []
    for number, frame in reversed(list(enumerate(frames, start=1))):
        if not runs or runs[-1]["in_app"] != frame.in_app:
            runs.append({"in_app": frame.in_app, "frames": []})
        runs[-1]["frames"].append((number, frame))
    return runs


def exception_chain(event: ErrorEvent | None) -> list[dict[str, Any]]:
    """The event's exceptions, the one raised first and what it was chained from after."""
    if event is None:
        return []
    return [{"exc": exc, "runs": frame_runs(exc.frames)} for exc in reversed(event.exceptions)]


def group_page(
    session: Session, group: Group, now: datetime, policy: ScrubPolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    """Everything the group page shows; events as stored, scrubbed again by `policy` (the
    one for text that people read: emails redacted unless ``SCRUB_EMAILS=false``)."""
    detail = group_detail(session, group)
    since = hour_of(now) - timedelta(days=GRAPH_DAYS) + timedelta(hours=1)
    buckets = hourly_counts(session, [group.id], since).get(group.id, {})
    releases = _release_markers(session, group.id, since)
    graphs = [
        _graph("Last 24 hours", "hour", series(buckets, now, 24), releases, now, 1),
        _graph(
            f"Last {GRAPH_DAYS} days",
            "day",
            series(buckets, now, GRAPH_DAYS * 24, 24),
            releases,
            now,
            24,
        ),
    ]
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
        "graphs": graphs,
        "releases": releases,
        "event": event,
        "chain": exception_chain(event),
        "latest": [
            {
                "row": row,
                "json": json.dumps(scrub_value(row.payload, policy), indent=2, default=str),
            }
            for row in latest
        ],
        "actions": actions,
        "fix": fix_attempt(session, group.id, actions),
        "audit": entries(session, group.id),
        "analysis": group.analysis or None,
    }


def fix_attempt(session: Session, group_id: int, actions: Any) -> dict[str, Any] | None:
    """The group's newest fix attempt (``fix_attempts``) with the action that made it.

    Before the fix action has run there is no attempt row yet: the action alone is
    shown (pending, or failed with its error) so the operator sees why nothing is there.
    """
    fix_actions = [a for a in actions if a.kind == ActionKind.FIX_PROPOSE]
    row = latest_attempt(session, group_id)
    if row is None:
        return {"action": fix_actions[0], "attempt": None} if fix_actions else None
    attempts = session.scalar(
        select(func.count()).select_from(FixAttemptRow).where(FixAttemptRow.group_id == group_id)
    )
    gates = [g for g in row.gates or [] if isinstance(g, dict)]
    failed = next((g for g in gates if not g.get("ok")), None)
    return {
        "action": next((a for a in fix_actions if a.idempotency_key == row.action_key), None),
        "attempt": row,
        "attempts": int(attempts or 0),
        "gates": gates,
        "failed": failed,
        "diff": diff_lines(row.patch or ""),
        "evidence": row.evidence if isinstance(row.evidence, dict) else None,
    }


def diff_lines(patch: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind (``add``, ``del``, ``hunk``, ``file``, ``ctx``)."""
    kinds = []
    for line in patch.splitlines():
        if line.startswith(("+++", "---", "diff ", "index ")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        kinds.append((kind, line))
    return kinds


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
