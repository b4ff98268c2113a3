"""A span whose ``events`` is not a list is one rejected span with its reason, not a crash
(a TypeError, so a 500, before: found by the parser fuzzer at 20x CI's examples)."""

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
