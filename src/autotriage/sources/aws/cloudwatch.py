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

This module is pure: functions that turn log events into `ErrorEvent`s. The API calls
(one page each) are in `autotriage.sources.aws.logs_api`; loops, cursors and backoff live
in `autotriage.scans`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, Level, normalize_level
from autotriage.sources.base import load_json, require_object
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

# A line that starts a new log record: a timestamp, a level word, a Lambda runtime line, JSON.
_HEADER = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
    r"|\d{2}:\d{2}:\d{2}"
    r"|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}"
    r"|\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL)\]?(?:[\s:]|$)"
    r"|(?:START|END|REPORT|INIT_START|INIT_REPORT) RequestId"
    r"|\{"
    r"|(?:level|time|ts)="
    r")"
)
_ERROR_WORD = re.compile(
    r"\b(?:ERROR|CRITICAL|FATAL|SEVERE|EMERG|ALERT)\b|^\[ERROR\]|^panic: |Traceback \(most recent"
    r"|^Exception in thread |^Unhandled(?:Promise)?Rejection|^Uncaught "
)
_LEVEL_WORD = re.compile(r"\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|CRITICAL|FATAL)\b")
_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)(?::\s?.*)?$")
_LAMBDA_ERROR = re.compile(r"^\[ERROR\]\s+(?P<type>[A-Za-z_][\w.]*)(?::\s*(?P<value>.*))?$")
_JS_FRAME = re.compile(
    r"^\s*at (?:(?P<func>[^(]+?) \()?(?P<file>[^()]+?):(?P<line>\d+):(?P<col>\d+)\)?$"
)
_LEVEL_KEYS = ("level", "severity", "levelname", "lvl", "log.level", "@level", "loglevel")
_MESSAGE_KEYS = ("message", "msg", "@message", "errorMessage", "error", "err", "log")
_TRACE_KEYS = (
    "stackTrace",
    "stack_trace",
    "stacktrace",
    "stack",
    "exc_info",
    "exception",
    "traceback",
    "error.stack",
)
_TYPE_KEYS = ("errorType", "error.type", "error.kind", "exception.type", "exc_type")
_SERVICE_KEYS = ("service", "service.name", "service_name", "app", "application")


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


def _starts_record(message: str) -> bool:
    return bool(_HEADER.match(message))


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
            and not _starts_record(event.message)
        ):
            current.append(event)
        else:
            records.append([event])
    return records


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    if dotted in data:
        return data[dotted]
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _first(data: dict[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = _lookup(data, key)
        if value not in (None, "", [], {}):
            return value
    return None


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object `text` is, or that ends it (Node's Lambda lines end with one)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(text[start:])
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _js_frames(lines: Sequence[str]) -> list[Frame]:
    frames = []
    for line in lines:
        match = _JS_FRAME.match(line)
        if match:
            path = match["file"]
            frames.append(
                Frame(
                    filename=path,
                    abs_path=path,
                    function=(match["func"] or "").strip() or None,
                    lineno=int(match["line"]),
                    colno=int(match["col"]),
                    in_app=not any(m in path for m in ("node_modules", "node:", "/var/runtime")),
                )
            )
    frames.reverse()  # V8 prints the crashing frame first; ours go oldest-first
    return frames


def _exceptions_from_json(data: dict[str, Any]) -> list[ExceptionInfo]:
    err_type = _first(data, _TYPE_KEYS)
    trace = _first(data, _TRACE_KEYS)
    value = _first(data, ("errorMessage", "error.message", "exception.message", "message", "msg"))
    lines: list[str] = []
    if isinstance(trace, list):
        for item in trace:
            lines.extend(str(item).splitlines())
    elif isinstance(trace, str):
        lines = trace.splitlines()
    if any("Traceback (most recent call last)" in line or 'File "' in line for line in lines):
        body = [line for line in lines if line.strip()]
        if not body or not body[0].startswith("Traceback"):
            body.insert(0, "Traceback (most recent call last):")
        if err_type and not _EXC_LINE.match(body[-1].strip()):
            body.append(f"{err_type}: {value or ''}".rstrip(": "))
        chain = parse_text("\n".join(body)).pop().exceptions
        if chain:
            return chain
    if err_type or lines:
        name = str(err_type or (lines[0].split(":")[0] if lines else "Error"))
        return [ExceptionInfo(type=name, value=str(value or ""), frames=_js_frames(lines))]
    return []


def _service_from_group(group: str) -> str:
    return group.rstrip("/").rsplit("/", 1)[-1] or group


def _text_event(text: str) -> tuple[Level, str, list[ExceptionInfo], str | None]:
    lines = text.split("\n")
    head = lines[0]
    lambda_error = _LAMBDA_ERROR.match(head)
    if lambda_error and "Traceback (most recent call last):" in text:
        # Lambda prints the exception first, then the traceback without it; put it last.
        last = next((ln for ln in reversed(lines) if ln.strip()), "")
        if not _EXC_LINE.match(last.strip()):
            text = f"{text}\n{lambda_error['type']}: {lambda_error['value'] or ''}"
    parsed = parse_text(text).pop()
    level_match = _LEVEL_WORD.search(head)
    level: Level = normalize_level(level_match.group(1)) if level_match else "error"
    if parsed.exceptions and level in ("debug", "info", "warning"):
        level = "error"  # an INFO line followed by a traceback is an error all the same
    if not parsed.exceptions and lambda_error:
        exc = ExceptionInfo(type=lambda_error["type"], value=lambda_error["value"] or "")
        return level, head, [exc], "python"
    embedded = _json_object(head) if "errorType" in head else None
    if embedded is not None:
        return level, head, _exceptions_from_json(embedded), "node"
    if not parsed.exceptions and "\n" in text and any(_JS_FRAME.match(ln) for ln in lines):
        name = head.split(":")[0].strip() or "Error"
        value = head.split(":", 1)[1].strip() if ":" in head else ""
        return level, head, [ExceptionInfo(type=name, value=value, frames=_js_frames(lines))], None
    return level, parsed.message or head, parsed.exceptions, parsed.platform


def is_error_record(text: str) -> bool:
    """Whether a reassembled record reports an error (not every line a filter matched does)."""
    head = text.split("\n", 1)[0]
    data = _json_object(head) if head.lstrip().startswith("{") else None
    if data is not None:
        inner = data.get("log")
        if isinstance(inner, str) and not _first(data, _LEVEL_KEYS):
            return is_error_record(inner)
        level = _first(data, _LEVEL_KEYS)
        if level is not None:
            return normalize_level(str(level), "info") in ("error", "fatal")
        return _first(data, _TYPE_KEYS) is not None
    if "Traceback (most recent call last):" in text or "errorType" in head:
        return True
    level_match = _LEVEL_WORD.search(head)
    if level_match:
        return normalize_level(level_match.group(1), "info") in ("error", "fatal")
    return bool(_ERROR_WORD.search(head) or _EXC_LINE.match(head.strip()))


def event_from_record(group: str, record: Sequence[LogEvent]) -> ErrorEvent | None:
    """The error a reassembled record reports, or None when it reports none."""
    if not record:
        return None
    lines = [line for event in record for line in event.message.split("\n")]
    text = "\n".join(lines).strip("\n")
    if not text.strip() or not is_error_record(text):
        return None
    head = record[0]
    service = _service_from_group(group)
    level: Level = "error"
    platform: str | None = None
    extra_tags: dict[str, str] = {}
    data = _json_object(lines[0]) if lines[0].lstrip().startswith("{") else None
    if data is not None and isinstance(data.get("log"), str) and not _first(data, _LEVEL_KEYS):
        data = _json_object(data["log"]) if data["log"].lstrip().startswith("{") else None
        if data is None:
            text = str(_json_object(lines[0]).get("log"))  # type: ignore[union-attr]
    if data is not None:
        level = normalize_level(_first(data, _LEVEL_KEYS) or "error")
        message = str(_first(data, _MESSAGE_KEYS) or lines[0])
        exceptions = _exceptions_from_json(data)
        service = str(_first(data, _SERVICE_KEYS) or service)
        for key in ("requestId", "request_id", "trace_id", "logger"):
            if isinstance(data.get(key), str):
                extra_tags[key] = data[key]
    else:
        level, message, exceptions, platform = _text_event(text)
    tags = {"log_group": group, "log_stream": head.stream, **extra_tags}
    return ErrorEvent(
        source=NAME,
        source_event_id=head.event_id or None,
        occurred_at=datetime.fromtimestamp(head.timestamp / 1000, UTC),
        level=level,
        platform=platform,
        service=service[:255],
        message=message[:8192],
        tags={k: v[:200] for k, v in tags.items()},
        exceptions=exceptions,
        contexts={
            "cloudwatch": {
                "log_group": group,
                "log_stream": head.stream,
                "event_ids": [e.event_id for e in record[:50]],
            },
            "log_lines": lines[:50],
        },
        raw=text[:20000],
    )


def parse_log_events(group: str, events: Iterable[LogEvent]) -> list[ErrorEvent]:
    """Reassemble `events` (any streams, any order) and return the errors they report."""
    out = []
    for record in reassemble(events):
        event = event_from_record(group, record)
        if event is not None:
            out.append(event)
    return out


def records_around(
    matches: Sequence[LogEvent], context: Sequence[LogEvent]
) -> list[list[LogEvent]]:
    """The records of `context` that hold one of `matches`; a match missing from the context
    (eventual consistency) stands as its own record."""
    match_ids = {m.event_id for m in matches}
    known = {e.event_id for e in context}
    chosen = [r for r in reassemble(context) if any(e.event_id in match_ids for e in r)]
    chosen += [[m] for m in matches if m.event_id not in known]
    return chosen


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
