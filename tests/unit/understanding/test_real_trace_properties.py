"""Property tests on the real-trace corpus: log noise around a trace changes nothing.

A trace pasted between ordinary log lines, at any position and with any amount of noise,
must read to the same frames as the trace alone, and one trace must stay one event.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autotriage.models import ErrorEvent
from autotriage.understanding.text import parse_text

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import parse as bench_parse  # bench/ is not a package: its directory is put on the path

# Traces that read as one event on their own (a few texts hold several reports on purpose).
SINGLE = [
    e["text"]
    for e in bench_parse.corpus()
    if e.get("events", 1) == 1 and len(parse_text(e["text"])) == 1
]
NOISE = [
    "2024-03-07 10:15:02,123 INFO [main] GET /api/orders 200 12ms",
    "2024-03-07T10:15:03.004Z DEBUG cache warm: 1834 keys",
    "[2024-03-07 10:15:04] production.INFO: user 42 logged in",
    'Mar  7 10:15:05 web-1 nginx[812]: 10.0.0.7 - - "GET /health HTTP/1.1" 200',
    '{"level":"info","msg":"request done","status":200,"ms":8}',
    "stderr F listening on :8080",
    "worker 3 picked job 8812 (queue=default)",
    "",
]


def _frames(event: ErrorEvent) -> list[list[tuple[str | None, int | None, str | None]]]:
    return [[(f.filename, f.lineno, f.function) for f in exc.frames] for exc in event.exceptions]


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    index=st.integers(min_value=0, max_value=len(SINGLE) - 1),
    before=st.lists(st.sampled_from(NOISE), max_size=6),
    after=st.lists(st.sampled_from(NOISE), max_size=6),
)
def test_a_trace_in_log_noise_reads_as_it_does_alone(
    index: int, before: list[str], after: list[str]
) -> None:
    text = SINGLE[index]
    (alone,) = parse_text(text)
    # A blank line after the trace keeps a trailing message-like noise line from being read
    # as the last line of a multi-line exception message (which it could be, in a real log).
    events = parse_text("\n".join([*before, text.rstrip("\n"), "", *after]))
    with_exceptions = [e for e in events if e.exceptions]
    assert len(with_exceptions) == 1
    assert _frames(with_exceptions[0]) == _frames(alone)
    assert [e.type for e in with_exceptions[0].exceptions] == [e.type for e in alone.exceptions]
