"""Fuzz the parsers issue 16 names that `test_fuzz_parsers` does not reach on their own.

`test_fuzz_parsers` drives each registered source; this adds the readers behind routes
that are not a registry entry: the Sentry ``/store/`` event, Sentry's signed hooks, OTLP
traces (JSON with one value swapped, and corrupted protobuf), and the text-trace parsers
one runtime at a time (a real trace of that runtime, mutated), so every runtime is fuzzed
even when the sampled traces happen to favour one. Documented errors: `IntakeError` and
`Ignored`; whatever is returned must store (scrubbed, serialized).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.protobuf.json_format import ParseDict
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from autotriage.intake import inbox_row
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json
from autotriage.sources.otlp import export as otlp
from autotriage.sources.sentry import envelope as sentry_envelope
from autotriage.sources.sentry import webhooks
from autotriage.understanding.text import parse_text_strict
from tests.hostile import payloads
from tests.support import fixture_path
from tests.unit.test_fuzz_parsers import DOCUMENTED, FUZZ, corrupted, mutated

RUNTIMES = sorted(
    p.name for p in fixture_path("traces").iterdir() if p.is_dir() and any(p.glob("*.txt"))
)


def _stores(events: list[ErrorEvent]) -> None:
    for event in events:
        orjson.loads(str(inbox_row(event).payload))


@FUZZ
@given(body=mutated(payloads.sentry_event("boom")))
def test_sentry_store_events_raise_only_documented_errors(body: bytes) -> None:
    try:
        event = sentry_envelope.parse_store(body)
    except DOCUMENTED:
        return
    _stores([event])


@FUZZ
@given(body=mutated(payloads.sentry_hook("boom")))
def test_sentry_hooks_raise_only_documented_errors(body: bytes) -> None:
    try:
        payload = load_json(body, what="hook")  # the route's reader, refusing deep nesting
        if not isinstance(payload, dict):
            return
        hook = webhooks.parse_hook(payload, "event_alert")
    except DOCUMENTED:
        return
    _stores(hook.events)


@FUZZ
@given(body=mutated(payloads.otlp_traces("boom")))
def test_otlp_json_traces_raise_only_documented_errors(body: bytes) -> None:
    try:
        export = otlp.parse_traces(body, "json")
    except DOCUMENTED:
        return
    _stores(export.events)


def _traces_protobuf() -> bytes:
    message = ParseDict(payloads.otlp_traces("boom"), ExportTraceServiceRequest())
    return message.SerializeToString()  # type: ignore[no-any-return]


@FUZZ
@given(data=st.data())
def test_otlp_protobuf_traces_garbage_raises_only_documented_errors(data: st.DataObject) -> None:
    try:
        export = otlp.parse_traces(corrupted(_traces_protobuf(), data), "protobuf")
    except DOCUMENTED:
        return
    _stores(export.events)


def _mutate(lines: list[str], data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(0, 6))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "cut", "noise", "indent"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        elif action == "noise":
            lines.insert(i, data.draw(st.text(max_size=30)))
        else:
            lines[i] = " " * data.draw(st.integers(0, 8)) + lines[i].lstrip()
    return "\n".join(lines)


@pytest.mark.parametrize("runtime", RUNTIMES)
@FUZZ
@given(data=st.data())
def test_text_traces_of_each_runtime_never_raise(runtime: str, data: st.DataObject) -> None:
    traces = sorted(fixture_path("traces").joinpath(runtime).glob("*.txt"))
    path = data.draw(st.sampled_from(traces))
    text = _mutate(path.read_text(encoding="utf-8").splitlines(), data)
    events: list[Any] = parse_text_strict(text)  # strict: a parser bug raises here
    assert events
    _stores(events)


def test_every_runtime_has_traces() -> None:
    assert {"python", "java", "node", "go", "ruby", "dotnet", "php"} <= set(RUNTIMES)
