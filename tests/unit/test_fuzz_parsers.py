"""Fuzz every parser: hostile bodies raise only the documented errors, and what a parser
returns can be stored (scrubbed, serialized) without a surprise.

Bodies are valid documents with one value swapped for a hostile one (a surrogate, a NUL,
an integer past 64 bits, NaN, a deep list, a wrong type), raw bytes, and corrupted
protobuf. Documented errors: `IntakeError` (refused with a reason) and `Ignored`.

CI runs a fixed, bounded set of examples. A hunt multiplies every count by
``AUTOTRIAGE_FUZZ_SCALE`` and draws fresh examples each run instead of CI's fixed ones.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from autotriage.errors import Ignored, IntakeError
from autotriage.intake import inbox_row
from autotriage.sources.aws import sns
from autotriage.sources.otlp import export as otlp
from autotriage.sources.registry import REGISTRY
from autotriage.understanding.scrub import ScrubPolicy, scrub_text, scrub_value
from tests.hostile import payloads

DOCUMENTED = (IntakeError, Ignored)
SCALE = int(os.environ.get("AUTOTRIAGE_FUZZ_SCALE", "1"))


def examples(count: int) -> settings:
    """`count` examples (times the hunt's scale), fixed in CI, fresh in a hunt."""
    return settings(
        max_examples=count * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=SCALE == 1,
    )


FUZZ = examples(60)

hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=()),  # surrogates and controls included
    max_size=40,
) | st.sampled_from(["\ud800", "\udc00\ud800", "\x00", "```", "-----BEGIN PRIVATE KEY-----"])
scalars = (
    hostile_text
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.sampled_from([2**64, -(2**63) - 1, 10**30, -1e20])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _paths(value, (*prefix, index))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replace(doc[path[0]], path[1:], value)
    return copy


_DEEP = "deep-list-placeholder"


def _dumps(doc: Any) -> bytes:
    # json, not orjson: it writes big integers, NaN and Infinity, as attackers do.
    return json.dumps(doc).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, template: Any) -> bytes:
    """`template` with one value replaced (deep lists too), or arbitrary bytes."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=200))
    paths = _paths(template)
    path = draw(st.sampled_from(paths))
    if choice == 1:  # a list nested deeper than any recursive reader goes
        return _dumps(_replace(template, path, _DEEP)).replace(
            _dumps(_DEEP), b"[" * 5000 + b"]" * 5000
        )
    return _dumps(_replace(template, path, draw(json_values)))


def _firehose_record(message: Any) -> dict[str, Any]:
    data = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "/g",
        "logStream": "s",
        "logEvents": [{"id": "1", "timestamp": 1, "message": message}],
    }
    blob = gzip.compress(_dumps(data))
    return {
        "requestId": "r",
        "timestamp": 1,
        "records": [{"data": base64.b64encode(blob).decode()}],
    }


TEMPLATES: dict[str, Any] = {
    "sentry_envelope": None,  # built per example below
    "sentry": payloads.sentry_plugin("boom"),
    "firehose": payloads.firehose("boom"),
    "slack": payloads.slack_event("boom"),
    "cloudwatch": {"events": [{"message": "ERROR boom", "timestamp": 1, "logStreamName": "s"}]},
    "otlp": payloads.otlp_logs("boom"),
    "sns": payloads.sns("boom"),
    "generic": payloads.generic("boom"),
    "text": None,
}


def _check_parse(name: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    try:
        events = REGISTRY[name].parse(body, headers or {"content-type": "application/json"})
    except DOCUMENTED:
        return
    for event in events:
        row = inbox_row(event)  # scrubbed and serialized as the inbox stores it
        orjson.loads(str(row.payload))


@pytest.mark.parametrize("name", [n for n, t in TEMPLATES.items() if t is not None])
@FUZZ
@given(data=st.data())
def test_json_sources_raise_only_documented_errors(name: str, data: st.DataObject) -> None:
    _check_parse(name, data.draw(mutated(TEMPLATES[name])))


@FUZZ
@given(event=mutated(payloads.sentry_event("boom")), header=mutated({"event_id": "a" * 32}))
def test_envelopes_raise_only_documented_errors(event: bytes, header: bytes) -> None:
    item_header = json.dumps({"type": "event", "length": len(event)}).encode()
    _check_parse("sentry_envelope", header + b"\n" + item_header + b"\n" + event + b"\n")


@FUZZ
@given(message=scalars | json_values)
def test_firehose_records_raise_only_documented_errors(message: Any) -> None:
    _check_parse("firehose", _dumps(_firehose_record(message)))


@FUZZ
@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_text_and_log_lines_raise_only_documented_errors(text: str) -> None:
    _check_parse("text", text.encode("utf-8", "surrogatepass"), {})


def corrupted(body: bytes, data: st.DataObject) -> bytes:
    """`body` with one to six of its bytes overwritten at drawn offsets."""
    out = bytearray(body)
    for _ in range(data.draw(st.integers(1, 6))):
        out[data.draw(st.integers(0, len(out) - 1))] = data.draw(st.integers(0, 255))
    return bytes(out)


def _valid_protobuf() -> bytes:
    doc = payloads.otlp_logs("boom")
    from google.protobuf.json_format import ParseDict

    return ParseDict(doc, ExportLogsServiceRequest()).SerializeToString()  # type: ignore[no-any-return]


@FUZZ
@given(data=st.data())
def test_otlp_protobuf_garbage_raises_only_documented_errors(data: st.DataObject) -> None:
    try:
        export = otlp.parse_logs(corrupted(_valid_protobuf(), data), "protobuf")
    except DOCUMENTED:
        return
    for event in export.events:
        orjson.loads(str(inbox_row(event).payload))


@FUZZ
@given(data=st.data())
def test_sns_messages_raise_only_documented_errors(data: st.DataObject) -> None:
    body = data.draw(mutated(payloads.sns("boom")))
    try:
        message = sns.load_message(body)
        for event in sns.parse_notification(message):
            orjson.loads(str(inbox_row(event).payload))
    except DOCUMENTED:
        return


secretish = st.lists(
    st.sampled_from(
        [
            "password=",
            "token: ",
            '"api_key": "',
            "Bearer ",
            "Authorization: ",
            "://u:p@h",
            "AKIAQWERTYUIOPASDF12",
            "ghp_" + "a1" * 12,
            "-----BEGIN PRIVATE KEY-----",
            "\\n",
            "eyJhbGciOi.eyJzdWIiOi.sig",
            "4111 1111 1111 1111",
            "[REDACTED:x]",
            " ",
            "=",
            "'",
            '"',
            "a@b.co",
            "10.0.0.1",
            "sk-" + "A" * 40,
            "sig=",
            "&",
            "?",
        ]
    )
    | st.text(max_size=8),
    max_size=12,
).map("".join)


@examples(300)
@given(text=secretish, emails=st.booleans(), ips=st.booleans())
def test_scrub_text_is_idempotent(text: str, emails: bool, ips: bool) -> None:
    once = scrub_text(text, emails=emails, ips=ips)
    assert scrub_text(once, emails=emails, ips=ips) == once


@examples(200)
@given(
    value=st.recursive(
        secretish | st.integers() | st.none(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(secretish, inner, max_size=4),
        max_leaves=10,
    )
)
def test_scrub_value_is_idempotent_keys_included(value: Any) -> None:
    policy = ScrubPolicy(emails=True, ips=True)
    once = scrub_value(value, policy)
    assert scrub_value(once, policy) == once
