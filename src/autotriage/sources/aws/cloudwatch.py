"""AWS CloudWatch Logs: log events read with FilterLogEvents (polled) or pushed by a
subscription filter (Firehose, see `autotriage.sources.aws.firehose`).

Docs: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
(one page per call; an empty page may still carry ``nextToken``),
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html (Lambda error shapes).

Field mapping: the first log event of a reassembled record gives ``eventId`` ->
source_event_id (so a record read twice, or both polled and pushed, is stored once) and
``timestamp`` -> occurred_at; the log group and stream -> tags and ``contexts.cloudwatch``;
the record's lines -> message and ``contexts.log_lines``; Python tracebacks, Lambda
``[ERROR]`` lines and ``errorType``/``errorMessage``/``stackTrace`` objects -> exceptions;
JSON ``level``/``severity`` -> level and ``service`` (else the log group's last part) ->
service.

A traceback split across deliveries (Firehose records, scan passes) is completed later:
where the reader knows a record's place in its stream (`edges`), the record carries
``contexts.cloudwatch.join`` -- where it starts and ends, whether it looks cut off
(`looks_open`) or continues an earlier record, and then its lines -- which
`autotriage.sources.aws.tails` uses when it is stored.

This module is pure: functions that turn log events into `ErrorEvent`s. The API calls
(one page each) are in `autotriage.sources.aws.logs_api`; loops, cursors and backoff live
in `autotriage.scans`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent, Level
from autotriage.sources.base import load_json, require_object
from autotriage.understanding.logtext import reports_error, starts_record
from autotriage.understanding.text import parse_text

NAME = "cloudwatch"
MAX_RECORD_LINES = 500
CONTINUATION_GAP_MS = 2000
"""Lines further apart than this never belong to one record (ECS ships a traceback's lines
with the same or nearly the same timestamp)."""
CONTEXT_BEFORE_MS = 2000
CONTEXT_AFTER_MS = 3000
MAX_GROUP_PAGES = 100
MAX_TIMESTAMP_MS = 253_402_300_799_999
"""The last millisecond of year 9999, the last a datetime holds."""
MAX_JOIN_CHARS = 256 * 1024
"""A record longer than this is never held for its tail: it is acted on as it is."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One CloudWatch log event."""

    event_id: str
    stream: str
    timestamp: int
    """Milliseconds since the epoch, as CloudWatch gives it."""
    message: str

    @classmethod
    def from_api(cls, raw: dict[str, Any], stream: str | None = None) -> LogEvent:
        """From a FilterLogEvents event, or a subscription's ``logEvents`` item (``id``)."""
        return cls(
            event_id=str(raw.get("eventId") or raw.get("id") or ""),
            stream=str(raw.get("logStreamName") or stream or ""),
            timestamp=_timestamp(raw.get("timestamp")),
            message=str(raw.get("message") or "").rstrip("\r\n"),
        )


def _timestamp(value: Any) -> int:
    """A log event's ``timestamp`` (milliseconds since the epoch, as AWS sends it)."""
    if value is None:
        return 0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_TIMESTAMP_MS  # NaN fails this too
    ):
        raise PayloadInvalid("a log event's `timestamp` must be milliseconds since the epoch")
    return int(value)


# --- pure: log group specs, reassembly, parsing ------------------------------------------


def split_group_spec(spec: Iterable[str]) -> tuple[list[str], list[str]]:
    """``AWS_LOG_GROUP_NAME``'s items as (exact names, prefixes); a ``*`` suffix marks a prefix."""
    names, prefixes = [], []
    for item in (part.strip() for part in spec):
        if not item:
            continue
        if item.endswith("*"):
            prefixes.append(item.rstrip("*"))
        else:
            names.append(item)
    return names, prefixes


def _in_stream_order(events: Iterable[LogEvent]) -> list[LogEvent]:
    """By stream and time; lines logged in the same millisecond keep their order: numeric
    event ids (AWS's grow within a stream) compare as numbers, others keep input order."""
    items = list(events)
    numeric = all(e.event_id.isdigit() for e in items)
    keyed = [
        (e.stream, e.timestamp, int(e.event_id) if numeric else position, e)
        for position, e in enumerate(items)
    ]
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def reassemble(events: Iterable[LogEvent]) -> list[list[LogEvent]]:
    """Split one stream's events into records: a line that does not start a record (an
    indented frame, ``Traceback ...``, ``ZeroDivisionError: ...``) continues the previous
    one when it follows within `CONTINUATION_GAP_MS`."""
    ordered = _in_stream_order(events)
    records: list[list[LogEvent]] = []
    for event in ordered:
        current = records[-1] if records else None
        if (
            current is not None
            and current[-1].stream == event.stream
            and event.timestamp - current[-1].timestamp <= CONTINUATION_GAP_MS
            and len(current) < MAX_RECORD_LINES
            and not starts_record(event.message)
        ):
            current.append(event)
        else:
            records.append([event])
    return records


Edges = tuple[bool, bool]
"""Whether a record is the first, and the last, of its stream in what was read."""

_TRACEBACK = "Traceback (most recent call last):"
_CHAIN = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_FRAME = re.compile(
    r'^\s+(?:at |File "|from )|^\s*\.\.\. \d+ (?:more|common frames omitted)|^goroutine \d+ \['
)
_LAMBDA_PY_ERROR = re.compile(r"^\[ERROR\]\s+[A-Za-z_][\w.]*(?::|$)")


def looks_open(lines: Sequence[str]) -> bool:
    """Whether a record's lines stop mid-trace: a Python traceback before its exception
    line, or a stack whose last line is still a frame (Java, Node, Ruby, Go)."""
    last = next((line.rstrip() for line in reversed(lines) if line.strip()), "")
    if not last:
        return False
    python = any(_TRACEBACK in line for line in lines)
    first = next((line.strip() for line in lines if line.strip()), "")
    if python and _LAMBDA_PY_ERROR.match(first):
        return False  # Lambda prints the exception line first, then the frames
    if last.endswith(_TRACEBACK) or last.strip() in _CHAIN:
        return True
    if not last[:1].isspace():
        return last.startswith("Caused by:")  # a cause whose frames are still to come
    return python or any(_FRAME.match(line) for line in lines)


def edges(records: Sequence[Sequence[LogEvent]]) -> list[Edges]:
    """For each record: whether it is the first and the last of its stream in `records`."""
    firsts: dict[str, int] = {}
    lasts: dict[str, int] = {}
    for index, record in enumerate(records):
        firsts.setdefault(record[0].stream, index)
        lasts[record[0].stream] = index
    return [
        (firsts[r[0].stream] == index, lasts[r[0].stream] == index)
        for index, r in enumerate(records)
    ]


def join_meta(record: Sequence[LogEvent], lines: Sequence[str], where: Edges) -> dict[str, Any]:
    """``contexts.cloudwatch.join``: where the record lies in its stream and, when it may
    take a tail or be one (and is small enough to hold), its log events."""
    at_start, at_end = where
    meta: dict[str, Any] = {
        "first_ms": record[0].timestamp,
        "last_ms": record[-1].timestamp,
        "events": len(record),
        "at_end": at_end,
        "open": at_end and looks_open(lines),
        "continues": at_start and not starts_record(record[0].message),
    }
    if meta["open"] or meta["continues"]:
        if sum(len(e.message) for e in record) <= MAX_JOIN_CHARS:
            meta["lines"] = [[e.event_id, e.timestamp, e.message] for e in record]
        else:
            meta["open"] = meta["continues"] = False
    return meta


def _fragment(
    group: str, record: Sequence[LogEvent], text: str, meta: dict[str, Any]
) -> ErrorEvent:
    """A record that reports no error by itself but may be a stored record's tail (Java
    frames, the rest of a traceback): stored only if it completes one."""
    head = record[0]
    cloudwatch = {"log_group": group, "log_stream": head.stream, "join": meta}
    return ErrorEvent(
        source=NAME,
        source_event_id=head.event_id or None,
        occurred_at=datetime.fromtimestamp(head.timestamp / 1000, UTC),
        level="info",
        message=text[:2000],
        tags={"log_group": group[:200], "log_stream": head.stream[:200]},
        contexts={"cloudwatch": {**cloudwatch, "fragment": True}},
    )


def is_fragment(event: ErrorEvent) -> bool:
    """Whether `event` is a fragment (see `event_from_record`), not an error of its own."""
    found = event.contexts.get("cloudwatch")
    return isinstance(found, dict) and found.get("fragment") is True


def _service_from_group(group: str) -> str:
    return group.rstrip("/").rsplit("/", 1)[-1] or group


def event_from_record(
    group: str, record: Sequence[LogEvent], where: Edges | None = None
) -> ErrorEvent | None:
    """The error a reassembled record reports, or None when it reports none.

    What the lines say (level, message, exceptions, service, request ids) is read by
    `autotriage.understanding` (`reports_error`, then `parse_text`); this adds where the
    record came from. With `where` (its `edges`), the record carries its `join_meta`, and
    one that reports no error but continues its stream's earlier lines is returned as a
    fragment, for `autotriage.sources.aws.tails` to join or drop.
    """
    if not record:
        return None
    lines = [line for event in record for line in event.message.split("\n")]
    text = "\n".join(lines).strip("\n")
    meta = join_meta(record, lines, where) if where is not None else None
    if not text.strip() or not reports_error(text):
        if meta is not None and meta["continues"] and text.strip():
            return _fragment(group, record, text, meta)
        return None
    parsed = parse_text(text, source=NAME)[-1]
    head = record[0]
    level: Level = parsed.level
    if parsed.exceptions and level in ("debug", "info", "warning"):
        level = "error"  # an INFO line followed by a traceback is an error all the same
    tags = {**parsed.tags, "log_group": group, "log_stream": head.stream}
    return parsed.model_copy(
        update={
            "source_event_id": head.event_id or None,
            "occurred_at": datetime.fromtimestamp(head.timestamp / 1000, UTC),
            "level": level,
            "service": (parsed.service or _service_from_group(group))[:255],
            "tags": {k: v[:200] for k, v in tags.items()},
            "contexts": {
                **parsed.contexts,
                "cloudwatch": {
                    "log_group": group,
                    "log_stream": head.stream,
                    "event_ids": [e.event_id for e in record[:50]],
                    **({"join": meta} if meta is not None else {}),
                },
                "log_lines": lines[:50],
            },
            "raw": text[:20000],
        }
    )


def parse_log_events(
    group: str, events: Iterable[LogEvent], *, joinable: bool = False
) -> list[ErrorEvent]:
    """Reassemble `events` (any streams, any order) and return the errors they report;
    `joinable`: `events` are all that was delivered of their streams at once, so each
    record's `edges` are known (see `event_from_record`)."""
    records = reassemble(events)
    places: list[Edges | None] = list(edges(records)) if joinable else [None] * len(records)
    out = []
    for record, where in zip(records, places, strict=True):
        event = event_from_record(group, record, where)
        if event is not None:
            out.append(event)
    return out


def records_with_edges(
    matches: Sequence[LogEvent], context: Sequence[LogEvent]
) -> list[tuple[list[LogEvent], Edges | None]]:
    """The records of `context` that hold one of `matches`, with their `edges` in it; a
    match missing from the context (eventual consistency) stands as its own record."""
    match_ids = {m.event_id for m in matches}
    known = {e.event_id for e in context}
    records = reassemble(context)
    chosen: list[tuple[list[LogEvent], Edges | None]] = [
        (r, where)
        for r, where in zip(records, edges(records), strict=True)
        if any(e.event_id in match_ids for e in r)
    ]
    chosen += [([m], None) for m in matches if m.event_id not in known]
    return chosen


def records_around(
    matches: Sequence[LogEvent], context: Sequence[LogEvent]
) -> list[list[LogEvent]]:
    """The records of `context` that hold one of `matches` (see `records_with_edges`)."""
    return [record for record, _ in records_with_edges(matches, context)]


def clusters(
    matches: Sequence[LogEvent], gap_ms: int = 5000, max_size: int = 2000
) -> list[list[LogEvent]]:
    """Matches grouped by stream and nearness in time, so one context read covers each."""
    out: list[list[LogEvent]] = []
    for event in _in_stream_order(matches):
        if (
            out
            and out[-1][-1].stream == event.stream
            and event.timestamp - out[-1][-1].timestamp <= gap_ms
            and len(out[-1]) < max_size
        ):
            out[-1].append(event)
        else:
            out.append([event])
    return out


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """A saved FilterLogEvents response (``autotriage replay``): its events' errors."""
    del headers
    payload = require_object(load_json(body))
    raw = payload.get("events")
    if not isinstance(raw, list):
        raise PayloadInvalid("`events` must be a list of log events")
    request = payload.get("_request")
    request = request if isinstance(request, dict) else {}
    group = str(request.get("logGroupName") or payload.get("logGroupName") or NAME)
    return parse_log_events(group, [LogEvent.from_api(e) for e in raw if isinstance(e, dict)])


def sniff(body: bytes) -> bool:
    """True for a FilterLogEvents response."""
    head = body[:4096]
    return b'"events"' in head and (b'"logStreamName"' in head or b'"searchedLogStreams"' in body)
