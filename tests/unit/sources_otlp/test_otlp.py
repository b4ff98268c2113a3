"""OTLP logs and traces, protobuf and JSON: what becomes an event, ids, partial success."""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from autotriage.errors import PayloadInvalid
from autotriage.sources.otlp import export as otlp

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/orders.py", line 12, in place\n'
    "    total = price / qty\n"
    "ZeroDivisionError: division by zero\n"
)
TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"


def _kv(key: str, value: object) -> dict[str, object]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


RESOURCE = {
    "attributes": [
        _kv("service.name", "orders"),
        _kv("service.version", "3.1.0"),
        _kv("deployment.environment", "staging"),
        _kv("telemetry.sdk.language", "python"),
    ]
}


def _logs_json(*records: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "resourceLogs": [
                {
                    "resource": RESOURCE,
                    "scopeLogs": [{"scope": {"name": "orders.api"}, "logRecords": list(records)}],
                }
            ]
        }
    ).encode()


ERROR_RECORD = {
    "timeUnixNano": "1780000000000000000",
    "severityNumber": 17,
    "severityText": "ERROR",
    "traceId": TRACE_ID,
    "spanId": SPAN_ID,
    "body": {"stringValue": "order failed"},
    "attributes": [
        _kv("exception.type", "ZeroDivisionError"),
        _kv("exception.message", "division by zero"),
        _kv("exception.stacktrace", TRACEBACK),
        _kv("http.route", "/orders"),
    ],
}


def test_json_log_with_an_exception() -> None:
    export = otlp.parse_logs(_logs_json(ERROR_RECORD), "json")
    (event,) = export.events
    assert event.title == "ZeroDivisionError: division by zero"
    assert event.message == "order failed"
    assert (event.service, event.release, event.environment) == ("orders", "3.1.0", "staging")
    assert event.platform == "python"
    assert event.contexts["trace"] == {"trace_id": TRACE_ID, "span_id": SPAN_ID}
    assert event.contexts["otel"]["attributes"] == {"http.route": "/orders"}
    frame = event.exceptions[-1].frames[-1]
    assert (frame.filename, frame.lineno, frame.function) == ("/srv/app/orders.py", 12, "place")
    assert event.occurred_at is not None
    assert event.occurred_at.year == 2026
    assert event.tags["logger"] == "orders.api"


def test_protobuf_and_json_give_the_same_event_id() -> None:
    record = LogRecord(
        time_unix_nano=1780000000000000000,
        severity_number=17,
        severity_text="ERROR",
        trace_id=bytes.fromhex(TRACE_ID),
        span_id=bytes.fromhex(SPAN_ID),
        body=AnyValue(string_value="order failed"),
        attributes=[
            KeyValue(key="exception.type", value=AnyValue(string_value="ZeroDivisionError")),
            KeyValue(key="exception.message", value=AnyValue(string_value="division by zero")),
            KeyValue(key="exception.stacktrace", value=AnyValue(string_value=TRACEBACK)),
        ],
    )
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.add(key="service.name", value=AnyValue(string_value="orders"))
    resource_logs.scope_logs.add().log_records.append(record)
    from_proto = otlp.parse_logs(request.SerializeToString(), "protobuf").events[0]
    json_record = {**ERROR_RECORD, "attributes": ERROR_RECORD["attributes"][:3]}  # type: ignore[index]
    from_json = otlp.parse_logs(
        json.dumps(
            {
                "resourceLogs": [
                    {
                        "resource": {"attributes": [_kv("service.name", "orders")]},
                        "scopeLogs": [{"logRecords": [json_record]}],
                    }
                ]
            }
        ).encode(),
        "json",
    ).events[0]
    assert from_proto.contexts["trace"]["trace_id"] == TRACE_ID
    assert from_proto.source_event_id == from_json.source_event_id


def test_which_records_are_errors() -> None:
    info = {"severityNumber": 9, "body": {"stringValue": "fine"}}
    error_without_exception = {"severityNumber": 17, "body": {"stringValue": "disk full"}}
    warn_with_exception = {"severityNumber": 13, "attributes": [_kv("exception.type", "Timeout")]}
    export = otlp.parse_logs(_logs_json(info, error_without_exception, warn_with_exception), "json")
    assert export.records == 3
    assert [e.title for e in export.events] == ["disk full", "Timeout"]
    assert [e.level for e in export.events] == ["error", "warning"]


def test_a_bad_record_is_a_partial_success_not_a_failure() -> None:
    bad = {
        "severityNumber": 17,
        "attributes": [{"key": "exception.type", "value": {"arrayValue": {"values": []}}}],
    }
    export = otlp.parse_logs(_logs_json(ERROR_RECORD, bad), "json")
    assert len(export.events) == 1
    assert export.rejected == 1
    response = ExportLogsServiceResponse.FromString(otlp.response_body("logs", export, "protobuf"))
    assert response.partial_success.rejected_log_records == 1
    assert "exception.type" in response.partial_success.error_message
    as_json = json.loads(otlp.response_body("logs", export, "json"))
    assert as_json["partialSuccess"]["rejectedLogRecords"] == "1"
    clean = otlp.parse_logs(_logs_json(ERROR_RECORD), "json")
    assert json.loads(otlp.response_body("logs", clean, "json")) == {}


def test_span_events_named_exception() -> None:
    span = Span(
        trace_id=bytes.fromhex(TRACE_ID),
        span_id=bytes.fromhex(SPAN_ID),
        name="GET /orders",
    )
    span.events.add(name="log", time_unix_nano=1)
    event = span.events.add(name="exception", time_unix_nano=1780000000000000000)
    event.attributes.add(key="exception.type", value=AnyValue(string_value="KeyError"))
    event.attributes.add(key="exception.message", value=AnyValue(string_value="'sku'"))
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(
        key="service.name", value=AnyValue(string_value="orders")
    )
    resource_spans.scope_spans.add().spans.append(span)
    export = otlp.parse_traces(request.SerializeToString(), "protobuf")
    (found,) = export.events
    assert found.title == "KeyError: 'sku'"
    assert found.culprit == "GET /orders"
    assert found.contexts["trace"]["span_id"] == SPAN_ID
    again = otlp.parse_traces(request.SerializeToString(), "protobuf").events[0]
    assert again.source_event_id == found.source_event_id


@pytest.mark.parametrize(
    ("body", "kind", "reason"),
    [
        (b"\xff\xff\xff", "protobuf", "not a valid protobuf"),
        (b"{", "json", "not valid JSON"),
        (b'{"resourceLogs": [1]}', "json", "must hold objects"),
        (b'{"resourceLogs": ' + b"[" * 100 + b"]" * 100 + b"}", "json", "nested"),
    ],
)
def test_unreadable_exports_are_400(body: bytes, kind: str, reason: str) -> None:
    with pytest.raises(PayloadInvalid, match=reason):
        otlp.parse_logs(body, kind)


def test_media_types() -> None:
    assert otlp.media_type("application/x-protobuf") == "protobuf"
    assert otlp.media_type("application/json; charset=utf-8") == "json"
    with pytest.raises(PayloadInvalid, match="Content-Type"):
        otlp.media_type("text/plain")


def test_deeply_nested_protobuf_is_400() -> None:
    value = AnyValue(string_value="leaf")
    for _ in range(150):
        nested = AnyValue()
        nested.kvlist_value.values.add(key="k").value.CopyFrom(value)
        value = nested
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add(severity_number=17)
    record.body.CopyFrom(value)
    with pytest.raises(PayloadInvalid, match="protobuf"):
        otlp.parse_logs(request.SerializeToString(), "protobuf")
