"""What a record cut off by the end of a read looks like (`cloudwatch.looks_open`), the
join metadata it carries, and how a joined record is kept within its bounds."""

from __future__ import annotations

import pytest

from autotriage.sources.aws import cloudwatch
from autotriage.sources.aws.cloudwatch import LogEvent, edges, looks_open, parse_log_events
from autotriage.sources.aws.joining import bounded

PY_HEAD = [
    "2026-05-28 20:26:38,114 ERROR orders.views Unhandled exception",
    "Traceback (most recent call last):",
    '  File "/srv/app/orders/views.py", line 88, in create_order',
    "    total = compute_total(cart)",
]


@pytest.mark.parametrize(
    ("lines", "cut"),
    [
        (PY_HEAD, True),
        (PY_HEAD[:2], True),  # the header alone
        (PY_HEAD[:3], True),
        ([*PY_HEAD, "ZeroDivisionError: division by zero"], False),
        ([*PY_HEAD, "StopIteration"], False),  # an exception name without Error in it
        (
            [
                *PY_HEAD,
                "KeyError: 'a'",
                "",
                "During handling of the above exception, another exception occurred:",
            ],
            True,
        ),
        (["java.lang.IllegalStateException: boom", "\tat a.B.c(B.java:1)"], True),
        (["java.lang.IllegalStateException: boom", "\tat a.B.c(B.java:1)", "\t... 3 more"], True),
        (["java.lang.IllegalStateException: boom", "Caused by: java.io.IOException: x"], True),
        (["Error: boom", "    at f (/app/x.js:1:2)"], True),  # Node
        (["2026-05-28 ERROR config invalid:", "   key: value"], False),  # indented, no trace
        (['{"level":"error","msg":"x","stack":"Error: x\\n    at f (a.js:1:1)"}'], False),
        (
            # Lambda's Python runtime prints the exception line before the traceback
            [
                "[ERROR] ValueError: bad",
                "Traceback (most recent call last):",
                '  File "/var/task/a.py"',
            ],
            False,
        ),
        (["2026-05-28 ERROR plain failure"], False),
        ([""], False),
    ],
)
def test_looks_open(lines: list[str], cut: bool) -> None:
    assert looks_open(lines) is cut


def _events(stream: str, lines: list[str], start: int = 1_000, first_id: int = 1) -> list[LogEvent]:
    return [LogEvent(str(first_id + i), stream, start + i, line) for i, line in enumerate(lines)]


def test_edges_are_per_stream() -> None:
    events = [
        *_events("a", ["2026-05-28 20:26:38 ERROR one", "2026-05-28 20:26:39 ERROR two"]),
        *_events("b", ["2026-05-28 20:26:38 ERROR three"], first_id=10),
    ]
    records = cloudwatch.reassemble(events)
    assert edges(records) == [(True, False), (False, True), (True, True)]


def test_only_a_cut_off_record_at_the_end_carries_its_lines() -> None:
    events = [
        *_events("a", ["2026-05-28 20:26:37 ERROR earlier"]),
        *_events("a", PY_HEAD, 2_000, 5),
    ]
    first, last = parse_log_events("/ecs/x", events, joinable=True)
    assert first.contexts["cloudwatch"]["join"] == {
        "first_ms": 1_000,
        "last_ms": 1_000,
        "events": 1,
        "at_end": False,
        "open": False,
        "continues": False,
    }
    join = last.contexts["cloudwatch"]["join"]
    assert join["open"] is True
    assert join["lines"] == [[str(5 + i), 2_000 + i, line] for i, line in enumerate(PY_HEAD)]
    # without `joinable` (a saved response read by ``replay``) nothing is added
    assert all("join" not in e.contexts["cloudwatch"] for e in parse_log_events("/ecs/x", events))


def test_a_tail_reporting_no_error_is_a_fragment_only_where_it_can_join() -> None:
    frames = _events("a", ["\tat com.shop.A.b(A.java:3)", "\tat com.shop.C.d(C.java:9)"])
    [fragment] = parse_log_events("/ecs/x", frames, joinable=True)
    assert fragment.contexts["cloudwatch"]["fragment"] is True
    assert fragment.contexts["cloudwatch"]["join"]["continues"] is True
    assert parse_log_events("/ecs/x", frames) == []
    # frames after a record that starts in the same read continue that record instead
    info = _events("a", ["2026-05-28 20:26:37 INFO fine", *[e.message for e in frames]])
    assert parse_log_events("/ecs/x", info, joinable=True) == []


def test_a_record_too_big_to_hold_is_acted_on_as_it_is() -> None:
    big = "x" * (cloudwatch.MAX_JOIN_CHARS + 1)
    [event] = parse_log_events("/ecs/x", _events("a", [*PY_HEAD, f"    {big}"]), joinable=True)
    join = event.contexts["cloudwatch"]["join"]
    assert (join["open"], "lines" in join) == (False, False)


def test_bounded_keeps_the_start_and_the_end() -> None:
    many = _events("a", [f"line {i}" for i in range(cloudwatch.MAX_RECORD_LINES + 40)])
    kept = bounded(list(many))
    assert len(kept) == cloudwatch.MAX_RECORD_LINES
    assert (kept[0], kept[-1]) == (many[0], many[-1])
    wide = _events("a", ["start", *["y" * 100_000] * 5, "ValueError: end"])
    kept = bounded(list(wide))
    assert sum(len(e.message) for e in kept) <= cloudwatch.MAX_JOIN_CHARS
    assert (kept[0].message, kept[-1].message) == ("start", "ValueError: end")
