"""Wrong types and ranges inside OTLP/JSON documents, found by the parser fuzzer at 20x
and 50x CI's examples (each was a TypeError, OverflowError, OSError or ValueError, so a
500, before): a span whose ``events`` is not a list is one rejected span with its
reason; a ``timeUnixNano`` past fixed64's range (or infinite) is no time at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autotriage.sources.otlp import export as otlp
from tests.hostile import payloads


@pytest.mark.parametrize("events", [5, 2**70, True, "exception", {"name": "exception"}])
def test_span_events_of_the_wrong_type_reject_the_span(events: Any) -> None:
    doc = payloads.otlp_traces("boom")
    good = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"].insert(0, {**good, "events": events})
    export = otlp.parse_traces(json.dumps(doc).encode(), "json")
    assert export.rejected == 1
    assert export.errors == ["spans[].events must be a list"]
    assert [e.exceptions[0].type for e in export.events] == ["HostileError"]  # the other span


@pytest.mark.parametrize(
    "nanos", [str(2**64), "253402300799999983616", str(10**40), 1e300, float("inf"), -1]
)
def test_a_time_out_of_range_is_no_time(nanos: Any) -> None:
    logs = payloads.otlp_logs("boom")
    logs["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["timeUnixNano"] = nanos
    traces = payloads.otlp_traces("boom")
    traces["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["events"][0]["timeUnixNano"] = nanos
    for export in (
        otlp.parse_logs(json.dumps(logs).encode(), "json"),
        otlp.parse_traces(json.dumps(traces).encode(), "json"),
    ):
        assert [e.exceptions[0].type for e in export.events] == ["HostileError"]
        assert export.events[0].occurred_at is None  # its arrival time stands in


def test_the_largest_fixed64_time_is_read() -> None:
    logs = payloads.otlp_logs("boom")
    logs["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["timeUnixNano"] = str(2**64 - 1)
    (event,) = otlp.parse_logs(json.dumps(logs).encode(), "json").events
    assert event.occurred_at is not None and event.occurred_at.year == 2554
