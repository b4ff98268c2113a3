"""OpenTelemetry: exceptions from OTLP/HTTP logs and traces, protobuf or JSON.

Docs: https://opentelemetry.io/docs/specs/otlp/#otlphttp (transport, partial success,
JSON mapping: hex trace ids, int64 as strings, lowerCamelCase fields) and the
exception conventions https://opentelemetry.io/docs/specs/semconv/exceptions/.

What becomes an `ErrorEvent`:

* a log record carrying ``exception.type``/``exception.message``/``exception.stacktrace``
  attributes, or with severity ERROR or worse (``severityNumber`` >= 17);
* a span event named ``exception`` (``span.record_exception``), one event each.

Field mapping: resource ``service.name`` -> service, ``service.version`` -> release,
``deployment.environment.name`` (or the older ``deployment.environment``) ->
environment, ``telemetry.sdk.language`` -> platform; ``exception.type``/``message`` ->
the raised exception, ``exception.stacktrace`` parsed by `understanding.text` into
frames (cause-first chains included); ``code.filepath``/``code.function``/
``code.lineno`` -> a frame when there is no stack trace; ``timeUnixNano`` ->
occurred_at; severity -> level; trace and span ids -> ``contexts["trace"]``; the
resource and record attributes -> ``contexts["otel"]``.

Exporters resend on failure by design, so every event's id is a hash of what identifies
the record (trace, span, time, exception, body): a resend stores nothing twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, Level, normalize_level
from autotriage.sources.base import load_json, require_object
from autotriage.understanding.text import parse_text

NAME = "otlp"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ERROR_SEVERITY = 17  # SEVERITY_NUMBER_ERROR
_SEVERITY_LEVELS: tuple[tuple[int, Level], ...] = (
    (21, "fatal"),
    (17, "error"),
    (13, "warning"),
    (9, "info"),
    (1, "debug"),
)


@dataclass
class Export:
    """The error events of one export request, and the records we refused."""

    events: list[ErrorEvent] = field(default_factory=list)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    records: int = 0


def media_type(content_type: str | None) -> str:
    """``protobuf`` or ``json`` for a request's Content-Type, else `PayloadInvalid`."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in (PROTOBUF, "application/protobuf"):
        return "protobuf"
    if kind == JSON:
        return "json"
    raise PayloadInvalid(f"Content-Type must be {PROTOBUF} or {JSON}, not {kind or 'missing'!r}")


def _decode(body: bytes, kind: str, message: Any, what: str) -> tuple[dict[str, Any], bool]:
    """The request as a JSON-shaped dict, and whether ids are base64 (protobuf) or hex."""
    if kind == "json":
        return require_object(load_json(body, what=what), what), False
    try:
        parsed = message.FromString(body)
    except (DecodeError, RecursionError) as exc:
        raise PayloadInvalid(f"{what} is not a valid protobuf message: {exc}") from None
    return MessageToDict(parsed, use_integers_for_enums=True), True


def _any(value: Any) -> Any:
    """An OTLP ``AnyValue`` as plain JSON."""
    if not isinstance(value, dict):
        return None
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in value:
        return [_any(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return _attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _attributes(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in raw if isinstance(raw, list) else []:
        if isinstance(pair, dict) and isinstance(pair.get("key"), str):
            out[pair["key"]] = _any(pair.get("value"))
    return out


def _hex_id(value: Any, binary: bool) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if not binary:
        return value.lower()
    try:
        return base64.b64decode(value).hex() or None
    except (binascii.Error, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    """A ``*UnixNano`` value as a time; None when absent or out of range (a fixed64 in
    OTLP: a larger number, or an infinite float, is no time at all)."""
    try:
        nanos = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < nanos < 2**64:
        return None
    return datetime.fromtimestamp(nanos / 1e9, UTC)


def _level(number: Any, text: Any) -> Level:
    if isinstance(number, int) and number > 0:
        return next(level for floor, level in _SEVERITY_LEVELS if number >= floor)
    return normalize_level(text)


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float | bool):
        raise PayloadInvalid(f"attribute {name} must be a string")
    return str(value)


def _exception(attrs: Mapping[str, Any]) -> list[ExceptionInfo]:
    exc_type = _text(attrs.get("exception.type"), "exception.type")
    message = _text(attrs.get("exception.message"), "exception.message") or ""
    trace = _text(attrs.get("exception.stacktrace"), "exception.stacktrace")
    if trace:
        chain = parse_text(trace)[0].exceptions
        if chain:
            return chain
    if not exc_type and not trace:
        return []
    frames = []
    filepath = attrs.get("code.filepath") or attrs.get("code.file.path")
    if isinstance(filepath, str):
        lineno = attrs.get("code.lineno") or attrs.get("code.line.number")
        function = attrs.get("code.function") or attrs.get("code.function.name")
        frames.append(
            Frame(
                filename=filepath,
                abs_path=filepath,
                function=function if isinstance(function, str) else None,
                lineno=lineno if isinstance(lineno, int) else None,
                in_app=True,
            )
        )
    return [ExceptionInfo(type=exc_type or "Exception", value=message, frames=frames)]


def _event_id(*parts: Any) -> str:
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Resource:
    attrs: dict[str, Any]

    def common(self) -> dict[str, Any]:
        attrs = self.attrs
        env = attrs.get("deployment.environment.name") or attrs.get("deployment.environment")
        return {
            "service": _str(attrs.get("service.name")),
            "release": _str(attrs.get("service.version")),
            "environment": _str(env),
            "platform": _str(attrs.get("telemetry.sdk.language")),
        }


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _list(value: Any, where: str) -> list[Any]:
    """`value` if it is a list (or absent: empty); the OTLP JSON schema allows nothing else."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadInvalid(f"{where} must be a list")
    return value


def _resources(payload: dict[str, Any], key: str, scope_key: str) -> Iterator[tuple[Any, ...]]:
    for resource_block in _list(payload.get(key), key):
        if not isinstance(resource_block, dict):
            raise PayloadInvalid(f"{key}[] must hold objects")
        described = resource_block.get("resource")
        if described is not None and not isinstance(described, dict):
            raise PayloadInvalid(f"{key}[].resource must be an object")
        resource = _Resource(_attributes((described or {}).get("attributes")))
        for scope_block in _list(resource_block.get(scope_key), f"{key}[].{scope_key}"):
            if not isinstance(scope_block, dict):
                raise PayloadInvalid(f"{key}[].{scope_key}[] must hold objects")
            scope = scope_block.get("scope") if isinstance(scope_block.get("scope"), dict) else {}
            yield resource, scope, scope_block


def parse_logs(body: bytes, kind: str) -> Export:
    """Error events from an ``ExportLogsServiceRequest`` (protobuf or JSON)."""
    payload, binary = _decode(body, kind, ExportLogsServiceRequest, "logs export")
    out = Export()
    for resource, scope, block in _resources(payload, "resourceLogs", "scopeLogs"):
        for record in _list(block.get("logRecords"), "scopeLogs[].logRecords"):
            out.records += 1
            try:
                event = _log_event(record, resource, scope, binary)
            except PayloadInvalid as exc:
                out.rejected += 1
                out.errors.append(exc.reason)
                continue
            if event is not None:
                out.events.append(event)
    return out


def _log_event(
    record: Any, resource: _Resource, scope: dict[str, Any], binary: bool
) -> ErrorEvent | None:
    if not isinstance(record, dict):
        raise PayloadInvalid("logRecords[] must hold objects")
    attrs = _attributes(record.get("attributes"))
    severity = record.get("severityNumber")
    exceptions = _exception(attrs)
    if not exceptions and not (isinstance(severity, int) and severity >= _ERROR_SEVERITY):
        return None  # an ordinary log line, not an error
    body = _any(record.get("body"))
    message = body if isinstance(body, str) else (json.dumps(body) if body is not None else "")
    if not message and exceptions:
        message = exceptions[-1].value
    trace_id = _hex_id(record.get("traceId"), binary)
    span_id = _hex_id(record.get("spanId"), binary)
    when = record.get("timeUnixNano") or record.get("observedTimeUnixNano")
    first = exceptions[-1] if exceptions else None
    return ErrorEvent(
        source=NAME,
        source_event_id=_event_id(
            "log",
            trace_id,
            span_id,
            when,
            message,
            first.type if first else None,
            first.value if first else None,
            resource.attrs.get("service.name"),
        ),
        occurred_at=_time(when),
        level=_level(severity, record.get("severityText")),
        message=message[:8192],
        exceptions=exceptions,
        culprit=_str(attrs.get("code.function") or attrs.get("code.function.name")),
        tags={k: v for k, v in {"logger": _str(scope.get("name"))}.items() if v},
        contexts=_contexts(resource, attrs, trace_id, span_id),
        raw=record,
        **resource.common(),
    )


def _contexts(
    resource: _Resource, attrs: dict[str, Any], trace_id: str | None, span_id: str | None
) -> dict[str, Any]:
    contexts: dict[str, Any] = {
        "otel": {
            "resource": resource.attrs,
            "attributes": {k: v for k, v in attrs.items() if not k.startswith("exception.")},
        }
    }
    if trace_id:
        contexts["trace"] = {"trace_id": trace_id, "span_id": span_id}
    return contexts


def parse_traces(body: bytes, kind: str) -> Export:
    """Error events from span events named ``exception`` in an ``ExportTraceServiceRequest``."""
    payload, binary = _decode(body, kind, ExportTraceServiceRequest, "traces export")
    out = Export()
    for resource, scope, block in _resources(payload, "resourceSpans", "scopeSpans"):
        for span in _list(block.get("spans"), "scopeSpans[].spans"):
            out.records += 1
            try:
                out.events.extend(_span_events(span, resource, scope, binary))
            except PayloadInvalid as exc:
                out.rejected += 1
                out.errors.append(exc.reason)
    return out


def _span_events(
    span: Any, resource: _Resource, scope: dict[str, Any], binary: bool
) -> list[ErrorEvent]:
    if not isinstance(span, dict):
        raise PayloadInvalid("spans[] must hold objects")
    trace_id = _hex_id(span.get("traceId"), binary)
    span_id = _hex_id(span.get("spanId"), binary)
    span_attrs = _attributes(span.get("attributes"))
    out = []
    for index, span_event in enumerate(_list(span.get("events"), "spans[].events")):
        if not isinstance(span_event, dict) or span_event.get("name") != "exception":
            continue
        attrs = _attributes(span_event.get("attributes"))
        exceptions = _exception({**span_attrs, **attrs})
        if not exceptions:
            continue
        when = span_event.get("timeUnixNano")
        first = exceptions[-1]
        out.append(
            ErrorEvent(
                source=NAME,
                source_event_id=_event_id("span", trace_id, span_id, index, when, first.type),
                occurred_at=_time(when),
                level="error",
                message=first.value[:8192],
                exceptions=exceptions,
                culprit=_str(span.get("name")),
                tags={
                    k: v
                    for k, v in {
                        "span": _str(span.get("name")),
                        "scope": _str(scope.get("name")),
                    }.items()
                    if v
                },
                contexts=_contexts(resource, {**span_attrs, **attrs}, trace_id, span_id),
                raw=span_event,
                **resource.common(),
            )
        )
    return out


def response_body(signal: str, export: Export, kind: str) -> bytes:
    """The export response, with ``partial_success`` when records were refused."""
    message: ExportLogsServiceResponse | ExportTraceServiceResponse
    if signal == "logs":
        message = ExportLogsServiceResponse()
        if export.rejected:
            message.partial_success.rejected_log_records = export.rejected
            message.partial_success.error_message = "; ".join(sorted(set(export.errors)))[:1000]
    else:
        message = ExportTraceServiceResponse()
        if export.rejected:
            message.partial_success.rejected_spans = export.rejected
            message.partial_success.error_message = "; ".join(sorted(set(export.errors)))[:1000]
    if kind == "protobuf":
        return bytes(message.SerializeToString())
    return json.dumps(MessageToDict(message)).encode()


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """A saved OTLP JSON export (logs or traces), for ``autotriage replay``."""
    kind = "protobuf" if "protobuf" in headers.get("content-type", "") else "json"
    if kind == "json" and b'"resourceSpans"' in body[:4096]:
        return parse_traces(body, kind).events
    return parse_logs(body, kind).events


def sniff(body: bytes) -> bool:
    """True for an OTLP JSON export."""
    head = body[:4096].lstrip()
    return head.startswith(b"{") and (b'"resourceLogs"' in head or b'"resourceSpans"' in head)
