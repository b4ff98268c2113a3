"""Pure: a held CloudWatch record's lines and its tail's put together, and the join
metadata (`autotriage.sources.aws.cloudwatch.join_meta`) read back from a stored payload.
Used by `autotriage.sources.aws.tails`."""

from __future__ import annotations

import copy
from typing import Any

from autotriage.sources.aws import cloudwatch
from autotriage.sources.aws.cloudwatch import LogEvent


def meta_of(payload: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(``contexts.cloudwatch``, its ``join``) of a payload, when well formed."""
    contexts = payload.get("contexts") if isinstance(payload, dict) else None
    found = contexts.get("cloudwatch") if isinstance(contexts, dict) else None
    meta = found.get("join") if isinstance(found, dict) else None
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k), int) and not isinstance(meta.get(k), bool)
        for k in ("first_ms", "last_ms")
    ):
        return None
    assert isinstance(found, dict)  # noqa: S101 - for mypy: meta came from it
    return found, meta


def without_lines(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` without the held lines (a released record needs them no more)."""
    out = copy.deepcopy(payload)
    found = meta_of(out)
    if found is not None:
        found[1].pop("lines", None)
        found[1]["open"] = False
    return out


def _log_events(lines: Any, stream: str) -> list[LogEvent]:
    if not isinstance(lines, list):
        return []
    out = []
    for item in lines:
        if isinstance(item, list) and len(item) == 3 and isinstance(item[1], int):
            out.append(LogEvent(str(item[0]), stream, item[1], str(item[2])))
    return out


def bounded(events: list[LogEvent]) -> list[LogEvent]:
    """`events`, their middle left out past `MAX_RECORD_LINES` or `MAX_JOIN_CHARS` (the
    first frames and the exception line at the end are what a trace is known by)."""
    limit = cloudwatch.MAX_RECORD_LINES
    if len(events) > limit:
        events = events[: limit // 2] + events[-(limit - limit // 2) :]
    size = sum(len(e.message) for e in events)
    while size > cloudwatch.MAX_JOIN_CHARS and len(events) > 2:
        size -= len(events.pop(len(events) // 2).message)
    return events


def join_lines(held: Any, tail: Any, stream: str) -> list[LogEvent]:
    """The held record's log events then the tail's (each event once), `bounded`."""
    seen: set[str] = set()
    out = []
    for line in [*_log_events(held, stream), *_log_events(tail, stream)]:
        if line.event_id not in seen:
            seen.add(line.event_id)
            out.append(line)
    return bounded(out)
