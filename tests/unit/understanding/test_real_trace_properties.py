"""Property tests on the real-trace corpus: log noise around a trace changes nothing.

A trace pasted between ordinary log lines, at any position and with any amount of noise,
must read to the same frames as the trace alone, and one paste holding one trace must stay
one event however it was pasted (fenced, prefixed line by line, indented, CRLF, in JSON).

The draws are derandomized so CI never passes or fails by chance; the example counts are
high enough that every trace of the corpus is drawn many times. Each ``@example`` is a
case a random run once found, kept after its cause was fixed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autotriage.models import ErrorEvent
from autotriage.understanding.text import parse_text

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import parse as bench_parse  # bench/ is not a package: its directory is put on the path

# Traces that are one report on their own, by the manifest (a few texts hold several), and
# read right alone (not ``known_wrong``).
ENTRIES = [e for e in bench_parse.corpus() if e.get("events", 1) == 1 and "known_wrong" not in e]
SINGLE = {e["trace"]: e["text"] for e in ENTRIES}
NAMES = sorted(SINGLE)
# A JSON document (Cloud Logging's export) is read whole: text around it, or a prefix on each
# of its lines, makes it text; it is pasted only in ways that keep it one document.
DOCUMENTS = {n for n, text in SINGLE.items() if text.lstrip()[:1] in "[{" and "\n" in text.strip()}
DOCUMENT_PASTES = {
    "crlf",
    "slack fence",
    "slack inline fence",
    "trailing spaces",
    "blank lines before",
}
# An excerpt cut off where the trace went on (``cut``) cannot tell a log line that follows
# or precedes it from its own missing lines (an exception line, a header): no noise there.
NOISY = sorted(
    n
    for n in NAMES
    if n not in DOCUMENTS and not any(e["trace"] == n and e.get("cut") for e in ENTRIES)
)
NOISE = [
    "2024-03-07 10:15:02,123 INFO [main] GET /api/orders 200 12ms",
    "2024-03-07T10:15:03.004Z DEBUG cache warm: 1834 keys",
    "[2024-03-07 10:15:04] production.INFO: user 42 logged in",
    'Mar  7 10:15:05 web-1 nginx[812]: 10.0.0.7 - - "GET /health HTTP/1.1" 200',
    '{"level":"info","msg":"request done","status":200,"ms":8}',
    "stderr F listening on :8080",
    "worker 3 picked job 8812 (queue=default)",
    "2024-03-07 10:15:06,001 WARN  [pool-1] c.e.orders.OrderService: retrying order 77",
    "com.example.Cache: evicted 12 entries",
    "WARNING:root:disk at 91%",
    "main.go:42: listening on :8080",
    "app.rb:3: warning: method redefined; discarding old foo",
    "I, [2024-03-07T10:15:07.000 #812]  INFO -- : Completed 200 OK in 12ms",
    "Summary:",
    "at 10:15 the job ran",
    "Error count: 0",
    "goroutine leak check ok",
    "Caused by config change",
    "",
]
PASTES: dict[str, Callable[[str], str]] = {
    "crlf": lambda s: s.replace("\n", "\r\n"),
    "slack fence": lambda s: f"```\n{s}\n```",
    "slack inline fence": lambda s: f"```{s.rstrip()}```",
    "slack escapes": lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    "trailing spaces": lambda s: "\n".join(f"{line}  " for line in s.split("\n")),
    "prefix on each line": lambda s: "\n".join(
        f"2024-03-07T10:15:03.004Z ERROR {line}" for line in s.split("\n")
    ),
    "CRI stream on each line": lambda s: "\n".join(
        f"2024-03-07T10:15:03.004Z stderr F {line}" for line in s.split("\n")
    ),
    # (A one-word message would read as one of Safari's name-only frames before a headless
    # Safari stack: the text cannot tell them apart.)
    "JSON record": lambda s: json.dumps({"level": "error", "msg": "request failed", "stack": s}),
    "blank lines before": lambda s: f"\n\n{s}",
    "indented as a whole": lambda s: "\n".join(
        f"    {line}" if line else "" for line in s.split("\n")
    ),
}


def _frames(event: ErrorEvent) -> list[list[tuple[str | None, int | None, str | None]]]:
    return [[(f.filename, f.lineno, f.function) for f in exc.frames] for exc in event.exceptions]


def _reads_alike(text: str, name: str) -> None:
    (alone,) = parse_text(SINGLE[name])
    with_exceptions = [e for e in parse_text(text) if e.exceptions]
    assert len(with_exceptions) == 1, [e.exceptions[0].type for e in with_exceptions]
    assert _frames(with_exceptions[0]) == _frames(alone)
    assert [e.type for e in with_exceptions[0].exceptions] == [e.type for e in alone.exceptions]


def test_every_single_trace_is_one_event_alone() -> None:
    several = {name: len(parse_text(text)) for name, text in SINGLE.items()}
    assert {name: n for name, n in several.items() if n != 1} == {}


@settings(
    max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    name=st.sampled_from(NOISY),
    before=st.lists(st.sampled_from(NOISE), max_size=6),
    after=st.lists(st.sampled_from(NOISE), max_size=6),
)
# A random run found this: the Monolog line before it was read as a JVM header
# ("production.INFO: ...") whose multi-line message swallowed java.util.logging's
# "logger: RuntimeException: message" header.
@example(
    name="java/fluent_plugin_detect_exceptions_java_exc.txt",
    before=["[2024-03-07 10:15:04] production.INFO: user 42 logged in"],
    after=[],
)
def test_a_trace_in_log_noise_reads_as_it_does_alone(
    name: str, before: list[str], after: list[str]
) -> None:
    # A blank line after the trace keeps a trailing message-like noise line from being read
    # as the last line of a multi-line exception message (which it could be, in a real log).
    _reads_alike("\n".join([*before, SINGLE[name].rstrip("\n"), "", *after]), name)


@settings(
    max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from(NOISY), after=st.lists(st.sampled_from(NOISE[:-1]), min_size=1))
# Found by this test: a log line ending in ":8080" was read as a bare Ruby "file:line" frame.
@example(name="ruby/fluent_plugin_detect_exceptions_ruby_exc.txt", after=[NOISE[5]])
def test_log_lines_right_after_a_trace_are_not_part_of_it(name: str, after: list[str]) -> None:
    text = SINGLE[name].rstrip("\n")
    if text.rstrip().endswith(":"):  # a trailing "Type:" header does take the next line
        return
    _reads_alike("\n".join([text, *after]), name)


@settings(
    max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from(NAMES), paste=st.sampled_from(sorted(PASTES)))
# Found by this test: a prefix on each line took JavaScriptCore's "[native code]" frame for
# a bracketed thread name, and the emptied line split one React Native stack into two events.
@example(
    name="javascript/stacktrace_parser_android_react_native_prod.txt", paste="prefix on each line"
)
def test_one_pasted_trace_is_one_event_however_pasted(name: str, paste: str) -> None:
    if name in DOCUMENTS and paste not in DOCUMENT_PASTES:
        return
    _reads_alike(PASTES[paste](SINGLE[name]), name)
