"""CloudWatch log events to errors: reassembly of split tracebacks, Lambda and JSON shapes."""

from __future__ import annotations

import json

from autotriage.config import split_list
from autotriage.sources.aws.cloudwatch import (
    LogEvent,
    clusters,
    parse_log_events,
    reassemble,
    records_around,
    split_group_spec,
)
from tests.support import fixture_bytes


def _page(name: str) -> list[LogEvent]:
    data = json.loads(fixture_bytes("aws", "logs", name))
    return [LogEvent.from_api(raw) for raw in data["events"]]


def test_split_traceback_becomes_one_event_with_frames() -> None:
    events = _page("filter_log_events.page1_traceback_split.json")
    events += _page("filter_log_events.page3_last.json")
    errors = parse_log_events("/ecs/orders-api", reversed(events))  # order must not matter
    assert len(errors) == 1
    error = errors[0]
    assert error.title == "ZeroDivisionError: division by zero"
    assert error.source_event_id == "37" + "0" * 54  # the record's first event
    frames = error.primary_exception.frames  # type: ignore[union-attr]
    assert [(f.filename, f.lineno, f.function) for f in frames] == [
        ("/srv/app/orders/views.py", 88, "create_order"),
        ("/srv/app/orders/pricing.py", 41, "compute_total"),
    ]
    assert frames[-1].in_app
    assert frames[-1].context_line == "return subtotal / item_count"
    assert error.service == "orders-api"
    assert error.tags["log_group"] == "/ecs/orders-api"
    assert len(error.contexts["cloudwatch"]["event_ids"]) == 7


def test_lines_far_apart_in_time_are_not_glued() -> None:
    events = [
        LogEvent("1", "s", 1_000, "2026-05-28 20:26:38 ERROR first"),
        LogEvent("2", "s", 60_000, "    indented line a minute later"),
    ]
    assert [len(r) for r in reassemble(events)] == [1, 1]


def test_streams_are_never_mixed() -> None:
    events = [
        LogEvent("1", "a", 1_000, "Traceback (most recent call last):"),
        LogEvent("2", "b", 1_000, '  File "/srv/x.py", line 1, in f'),
    ]
    assert [len(r) for r in reassemble(events)] == [1, 1]


def test_lambda_python_error_line_with_traceback() -> None:
    message = (
        "[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n"
        '  File "/var/task/handler.py", line 12, in lambda_handler\n'
        "    order = event['order_id']\n"
    )
    [error] = parse_log_events("/aws/lambda/orders", [LogEvent("9", "s", 5, message)])
    assert error.title == "KeyError: 'order_id'"
    assert error.primary_exception.frames[-1].lineno == 12  # type: ignore[union-attr]
    assert error.service == "orders"


def test_lambda_node_invoke_error_with_json_object() -> None:
    message = (
        "2026-05-28T20:26:38.114Z\t5d1c\tERROR\tInvoke Error \t"
        '{"errorType":"TypeError","errorMessage":"cart is undefined",'
        '"stack":["TypeError: cart is undefined","    at total (/var/task/pricing.js:41:9)",'
        '"    at Runtime.handler (file:///var/runtime/index.mjs:1:2)"]}'
    )
    [error] = parse_log_events("/aws/lambda/orders", [LogEvent("9", "s", 5, message)])
    assert error.title == "TypeError: cart is undefined"
    frames = error.primary_exception.frames  # type: ignore[union-attr]
    assert frames[-1].filename == "/var/task/pricing.js"
    assert frames[-1].in_app
    assert not frames[0].in_app


def test_lambda_json_log_format_error() -> None:
    message = json.dumps(
        {
            "timestamp": "2026-05-28T20:26:38Z",
            "level": "ERROR",
            "message": "boom",
            "requestId": "5d1c",
            "errorType": "ValueError",
            "errorMessage": "boom",
            "stackTrace": [
                '  File "/var/task/app.py", line 10, in handler\n    raise ValueError("boom")\n'
            ],
        }
    )
    [error] = parse_log_events("/aws/lambda/orders", [LogEvent("9", "s", 5, message)])
    assert error.title == "ValueError: boom"
    assert error.tags["requestId"] == "5d1c"
    assert error.primary_exception.frames[0].function == "handler"  # type: ignore[union-attr]


def test_ecs_structured_json_levels() -> None:
    events = [
        LogEvent("1", "s", 1, '{"level":"error","msg":"db down","service":"billing"}'),
        LogEvent("2", "s", 2, '{"level":"info","msg":"ok"}'),
        LogEvent("3", "s", 3, '{"severity":"CRITICAL","message":"disk full"}'),
        LogEvent("4", "s", 4, '{"log":"2026-05-28 ERROR worker crashed","source":"stderr"}'),
    ]
    errors = parse_log_events("/ecs/x", events)
    assert [(e.message, e.level) for e in errors] == [
        ("db down", "error"),
        ("disk full", "fatal"),
        ("2026-05-28 ERROR worker crashed", "error"),
    ]
    assert errors[0].service == "billing"


def test_records_around_keeps_a_match_missing_from_its_context() -> None:
    match = LogEvent("m", "s", 10, "2026-05-28 ERROR late")
    other = LogEvent("o", "s", 10, "2026-05-28 ERROR other")
    chosen = records_around([match], [other])
    assert chosen == [[match]]


def test_clusters_split_by_stream_and_time() -> None:
    events = [
        LogEvent("1", "a", 0, "x"),
        LogEvent("2", "a", 1000, "y"),
        LogEvent("3", "a", 60_000, "z"),
        LogEvent("4", "b", 0, "w"),
    ]
    assert [[e.event_id for e in c] for c in clusters(events)] == [["1", "2"], ["3"], ["4"]]


def test_group_spec_names_and_prefixes() -> None:
    assert split_group_spec(split_list(" /ecs/a, /aws/lambda/*,,/ecs/b ")) == (
        ["/ecs/a", "/ecs/b"],
        ["/aws/lambda/"],
    )


def test_clusters_are_capped_so_one_context_read_stays_small() -> None:
    events = [LogEvent(str(i), "a", i, "x") for i in range(5)]
    assert [len(c) for c in clusters(events, max_size=2)] == [2, 2, 1]


def test_same_millisecond_lines_keep_their_order_across_id_lengths() -> None:
    # moto numbers events 9, 10, 11...: compared as text, "10" would sort before "9".
    lines = [
        "2026-05-28 20:26:38 ERROR boom",
        "Traceback (most recent call last):",
        '  File "/srv/app/x.py", line 3, in f',
        "ValueError: bad",
    ]
    events = [LogEvent(str(8 + i), "s", 5, line) for i, line in enumerate(lines)]
    [error] = parse_log_events("/ecs/x", reversed(events))
    assert error.title == "ValueError: bad"
    assert error.source_event_id == "8"
    opaque = [LogEvent(f"id-{c}", "s", 5, line) for c, line in zip("zyxw", lines, strict=True)]
    [error] = parse_log_events("/ecs/x", opaque)  # opaque ids: the order given is kept
    assert error.title == "ValueError: bad"
