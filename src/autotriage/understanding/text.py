"""Raw error text (a log line, a pasted traceback, a Slack message) to `ErrorEvent`s.

`parse_text` undoes log decoration (`autotriage.understanding.logtext`), finds every trace
of every runtime it knows (`autotriage.understanding.parsers`), and returns one event per
trace; text with no trace becomes one message-only event. Frames get runtime-specific
``in_app`` defaults as they are read (`autotriage.understanding.inapp`). It never raises.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.understanding.logtext import clean_lines
from autotriage.understanding.parsers import Trace, scan

log = logging.getLogger(__name__)

MAX_TEXT = 2_000_000
"""Characters read from one text; a log stream past this is cut, not refused."""
MESSAGE_LIMIT = 8192
MAX_EVENTS = 100
TAG_FIELDS = ("logger", "logger_name", "requestId", "request_id", "trace_id")
"""Fields of a structured log record kept as the event's tags."""
"""Traces read from one text; a dump of thousands is a flood, not thousands of reports."""


def _summary(exc: ExceptionInfo) -> str:
    value = exc.value.strip()
    return f"{exc.type}: {value}" if value else exc.type


def _message(lines: list[str], trace: Trace, previous_end: int) -> str:
    """The log message on the line just before the trace (if any), then the exception."""
    before = ""
    if trace.start > previous_end:
        candidate = lines[trace.start - 1].strip()
        # A caret under a source excerpt (Node prints one above its traces) is no message,
        # nor the quotes multiprocessing puts around a worker's traceback.
        if candidate and candidate.strip('^~ "') and not candidate.endswith(":"):
            before = candidate
    raised = _summary(trace.exceptions[-1])
    return (f"{before}\n{raised}" if before else raised)[:MESSAGE_LIMIT]


def _plain_message(lines: list[str]) -> str:
    return "\n".join(lines).strip()[:MESSAGE_LIMIT]


def _culprit(exc: ExceptionInfo) -> str | None:
    frame = exc.crashing_frame
    if frame is None:
        return None
    where = frame.module or frame.filename or frame.abs_path
    culprit = (
        f"{where} in {frame.function}" if where and frame.function else where or frame.function
    )
    return culprit[:500] if culprit else None


def _event(base: dict[str, Any], **fields: Any) -> ErrorEvent:
    return ErrorEvent(**base, **fields)


def parse_text(
    text: str, *, source: str = "text", received_at: datetime | None = None
) -> list[ErrorEvent]:
    """Read error text into events, one per trace found; never raises.

    Text without a trace gives one message-only event (log prefixes removed).
    """
    try:
        return parse_text_strict(text, source=source, received_at=received_at)
    except Exception:  # the contract is "never raises": a parser bug must not lose the event
        log.exception("error text could not be parsed; keeping it as a message")
        base = _base(text, source, received_at)
        return [_event(base, message=text.strip()[:MESSAGE_LIMIT] or "(empty)")]


def parse_text_strict(
    text: str, *, source: str = "text", received_at: datetime | None = None
) -> list[ErrorEvent]:
    """`parse_text` without the safety net: a parser bug raises (the property tests use it)."""
    return _parse(text[:MAX_TEXT], _base(text, source, received_at))


def _base(text: str, source: str, received_at: datetime | None) -> dict[str, Any]:
    base: dict[str, Any] = {"source": source, "raw": text}
    if received_at is not None:
        base["received_at"] = received_at
    return base


def _parse(text: str, base: dict[str, Any]) -> list[ErrorEvent]:
    clean = clean_lines(text)
    level = clean.level or "error"
    tags = {k: v[:200] for k, v in clean.fields.items() if k in TAG_FIELDS}
    extra: dict[str, Any] = {}
    if "service" in clean.fields:
        extra["service"] = clean.fields["service"][:200]
    env = clean.fields.get("environment") or clean.fields.get("env")
    if env:
        extra["environment"] = env[:200]
    traces = scan(clean.lines, MAX_EVENTS)  # a flood of traces is not read past the limit
    if not traces:
        message = _plain_message(clean.lines) or text.strip()[:MESSAGE_LIMIT]
        return [_event(base, level=level, message=message, tags=tags, **extra)]
    events = []
    previous_end = 0
    for trace in traces:
        exceptions = trace.exceptions
        trace_tags = dict(tags)
        for note in trace.notes:
            key, _, value = note.partition(":")
            trace_tags[key] = value[:200]
        events.append(
            _event(
                base,
                level=level,
                platform=trace.platform,
                message=_message(clean.lines, trace, previous_end),
                culprit=_culprit(exceptions[-1]),
                exceptions=exceptions,
                tags=trace_tags,
                **extra,
            )
        )
        previous_end = trace.end
    return events
