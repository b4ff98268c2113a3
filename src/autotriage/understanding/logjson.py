"""JSON log records: the message, stack, level and fields a structured log line carries.

Structured loggers (structlog, python-json-logger, pino, bunyan, winston, logback's and Log4j
2's JSON layouts), Docker's json-file driver and AWS Lambda write each record, trace and all,
as one JSON object. `json_record` reads one; `texts_from_json` turns it into the lines a
parser reads (the message, then the stack, from whichever field the logger used), the level
it names and the fields kept as tags. AWS Lambda's error document (``errorType``,
``errorMessage``, ``stackTrace``) and structlog's ``dict_tracebacks`` are put back into the
text their runtime prints.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from autotriage.models import Level, normalize_level

# Field names structured loggers use, most telling first.
_MESSAGE_KEYS = (
    "message",
    "msg",
    "log",
    "text",
    "@message",
    "event",
    "body",
    "textPayload",
    "@m",  # Serilog's compact JSON (CLEF): the rendered message, else the template
    "@mt",
)
_STACK_KEYS = (
    "@x",  # Serilog's CLEF
    "stack_trace",
    "stacktrace",
    "stack",
    "exc_info",
    "exception",
    "traceback",
    "error.stack",
    "err.stack",
    "error.stack_trace",
    "exception.stacktrace",
)
LEVEL_KEYS = (
    "level",
    "levelname",
    "severity",
    "log.level",
    "lvl",
    "@level",
    "loglevel",
    "@l",  # Serilog CLEF
    "severity_text",  # OpenTelemetry
)
TYPE_KEYS = ("errorType", "error.type", "error.kind", "exception.type", "exc_type")
# Fields of a structured record kept as tags: which request, trace and logger it was.
FIELD_KEYS = (
    "service",
    "logger",
    "logger_name",
    "env",
    "environment",
    "release",
    "version",
    "requestId",
    "request_id",
    "trace_id",
)
_MAX_JSON_LINE = 1_000_000


_LEVEL_LOOKUPS = tuple((key, key.partition(".")[0]) for key in LEVEL_KEYS)
_STACK_LOOKUPS = tuple((key, key.partition(".")[0]) for key in _STACK_KEYS)


def get_field(data: dict[str, Any], dotted: str) -> Any:
    if dotted in data:
        return data[dotted]
    head, dot, _ = dotted.partition(".")
    if not dot or head not in data:  # the common case: one dict lookup, no split
        return None
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def texts_from_json(data: dict[str, Any]) -> tuple[list[str], Level | None, dict[str, str]]:
    """The message and stack a structured log record carries, as lines."""
    level: Level | None = None
    for key, head in _LEVEL_LOOKUPS:
        if key not in data and head not in data:
            continue  # (a dict lookup or two per key; most records name one of them)
        value = get_field(data, key)
        if isinstance(value, str) and value.strip():
            level = normalize_level(value, "info")
            break
    message = ""
    for key in _MESSAGE_KEYS:  # (none of them dotted: a plain lookup each)
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            message = value
            break
    stack = ""
    for key, head in _STACK_LOOKUPS:
        if key not in data and head not in data:
            continue  # (most records have none of them: a dict lookup each, no walk)
        value = get_field(data, key)
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            value = _dict_traceback(value)
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            value = "".join(x if x.endswith("\n") else x + "\n" for x in value)
        if isinstance(value, str) and value.strip():
            stack = value
            break
    attributes = data.get("attributes")
    if not stack and isinstance(attributes, dict):
        # OpenTelemetry's log record: the exception as semantic-convention attributes.
        value = attributes.get("exception.stacktrace")
        stack = value if isinstance(value, str) else ""
    thrown = data.get("thrown")
    if not stack and isinstance(thrown, dict):
        stack = _thrown(thrown)
    if "errorType" in data or "errorMessage" in data:
        stack = _lambda_error(data) or stack
    error = data.get("error") or data.get("err")
    if isinstance(error, dict) and not stack:
        stack = str(error.get("stack") or error.get("stack_trace") or "")
        if not stack and error.get("message"):
            kind = error.get("type") or error.get("name") or error.get("kind")
            stack = f"{kind}: {error['message']}" if kind else str(error["message"])
    fields = {
        k: str(data[k]) for k in FIELD_KEYS if k in data and isinstance(data[k], str | int | float)
    }
    text = message
    if stack and stack.strip() not in message:
        # Most stacks repeat their first line ("Error: msg") in the message; don't double it.
        text = f"{message}\n{stack}" if message and message.strip() not in stack else stack
    return text.splitlines(), level, fields


def _thrown(thrown: dict[str, Any], depth: int = 0) -> str:
    """Log4j 2 JsonLayout's ``thrown`` (``name``, ``message``, ``extendedStackTrace`` of
    ``class``/``method``/``file``/``line``, a ``cause`` of the same shape) as the trace Java
    prints; "" when it is something else."""
    name = thrown.get("name")
    frames = thrown.get("extendedStackTrace") or thrown.get("stackTrace")
    if not isinstance(name, str) or not isinstance(frames, list):
        return ""
    message = thrown.get("message")
    lines = [f"{name}: {message}" if message else name]
    for frame in frames[:500]:
        if isinstance(frame, dict):
            where = (
                f"{frame.get('file')}:{frame.get('line')}"
                if frame.get("file")
                else "Unknown Source"
            )
            lines.append(f"\tat {frame.get('class')}.{frame.get('method')}({where})")
    cause = thrown.get("cause")
    if isinstance(cause, dict) and depth < 20:
        lines.append(f"Caused by: {_thrown(cause, depth + 1)}")
    return "\n".join(lines)


_CHAINED = {
    True: "The above exception was the direct cause of the following exception:",
    False: "During handling of the above exception, another exception occurred:",
}


def _dict_traceback(chain: list[dict[str, Any]]) -> str:
    """structlog's ``dict_tracebacks`` (the raised exception first, each cause after it, with
    ``exc_type``, ``exc_value``, ``is_cause`` and ``frames`` of ``filename``/``lineno``/``name``)
    as the traceback Python prints, cause first; "" when the list is something else."""
    blocks: list[str] = []
    previous: dict[str, Any] = {}
    for item in reversed(chain[:20]):
        frames = item.get("frames")
        if not isinstance(item.get("exc_type"), str) or not isinstance(frames, list):
            return ""
        lines = ["Traceback (most recent call last):"]
        for frame in frames[-500:]:
            if isinstance(frame, dict):
                where = f'  File "{frame.get("filename")}", line {frame.get("lineno")}'
                lines.append(f"{where}, in {frame.get('name')}")
        value = item.get("exc_value")
        lines.append(f"{item['exc_type']}: {value}" if value else item["exc_type"])
        if blocks:
            blocks.append(_CHAINED[bool(previous.get("is_cause"))])
        blocks.append("\n".join(lines))
        previous = item
    return "\n\n".join(blocks)


# A frame of Lambda's Java runtime's error document: StackTraceElement.toString(), no "at ".
_JAVA_ELEMENT = re.compile(r"^[\w$./]+\.[\w$<>]+\([^()]*\)$")


def _lambda_error(data: dict[str, Any], depth: int = 0) -> str:
    """AWS Lambda's error document (``errorType``/``errorMessage``/``stackTrace``) as a trace.

    Node's ``stackTrace`` already starts with ``Type: message``; Python's holds only the
    frames, so the header and the exception line are put back around them; Java's holds
    ``StackTraceElement`` strings, given back their ``at``. An unhandled rejection
    (``Runtime.UnhandledPromiseRejection``) is reported as the error it carries as ``reason``:
    its own stack is the runtime's handler.
    """
    reason = data.get("reason")
    if depth == 0 and isinstance(reason, dict) and ("errorType" in reason or "stack" in reason):
        return _lambda_error(reason, depth + 1)
    kind = str(data.get("errorType") or "Error")
    message = str(data.get("errorMessage") or "")
    frames = data.get("stackTrace") or data.get("stack")
    lines = [str(x) for x in frames] if isinstance(frames, list) else []
    if any(line.lstrip().startswith('File "') for line in lines):
        body = "".join(x if x.endswith("\n") else x + "\n" for x in lines)
        return f"Traceback (most recent call last):\n{body}{kind}: {message}"
    if lines and all(_JAVA_ELEMENT.match(line.strip()) for line in lines[:3]):
        return "\n".join([f"{kind}: {message}", *(f"\tat {line.strip()}" for line in lines)])
    if lines and not lines[0].lstrip().startswith("at "):
        return "\n".join(lines)
    return "\n".join([f"{kind}: {message}", *lines])


def json_record(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")) or len(text) > _MAX_JSON_LINE:
        return None
    try:
        data = orjson.loads(text)  # a C parser: a log of JSON lines costs a call each
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and json reads: NaN, Infinity, integers past 64 bits
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
    return data if isinstance(data, dict) else None


def json_records(text: str) -> list[dict[str, Any]] | None:
    """A JSON array of records (objects), or None when `text` is something else."""
    if len(text) > _MAX_JSON_LINE:
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, list) or not data or not all(isinstance(x, dict) for x in data):
        return None
    return data


def trailing_record(line: str) -> dict[str, Any] | None:
    """The JSON error document ending a line (Node's Lambda ``Invoke Error`` lines)."""
    start = line.find("{")
    if start <= 0 or "errorType" not in line:
        return None
    return json_record(line[start:])
