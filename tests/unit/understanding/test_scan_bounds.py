"""`scan`'s shortcuts read like trying every parser at every line, and the bounds hold.

`scan` tries the parsers only at lines that hold a word a trace can start at (or a few lines
before a frame-like line), and skips most of a run of equal lines where no trace started:
on every corpus trace, alone and between log lines, it finds what the plain loop finds.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from autotriage.understanding.logtext import MAX_LINE, MAX_LINES, clean_lines
from autotriage.understanding.parsers import PARSERS, Trace, scan
from autotriage.understanding.text import parse_text

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import parse as bench_parse

TEXTS = {e["trace"]: e["text"] for e in bench_parse.corpus()}
NOISE = "\n".join(
    [
        "2024-03-07 10:15:02,123 INFO [main] GET /api/orders 200 12ms",
        "heartbeat ok",
        "heartbeat ok",
        "heartbeat ok",
        "worker 3 picked job 8812 (queue=default)",
        "",
    ]
)


def _every_line(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """The plain loop `scan` shortens: every parser at every non-blank line."""
    found: list[Trace] = []
    i = 0
    while i < len(lines):
        if lines[i].strip():
            for _, parse in PARSERS:
                trace = parse(lines, i)
                if trace is not None and trace.end > i:
                    found.append(trace)
                    i = trace.end
                    break
            else:
                i += 1
        else:
            i += 1
    return [(t.start, t.end, t.exceptions[-1].type) for t in found]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_scan_finds_what_trying_every_line_finds(name: str) -> None:
    for text in (TEXTS[name], f"{NOISE}\n{TEXTS[name]}\n{NOISE}\n{NOISE}"):
        lines = clean_lines(text).lines
        assert [(t.start, t.end, t.exceptions[-1].type) for t in scan(lines)] == _every_line(lines)


def test_a_run_of_equal_lines_before_a_header_does_not_hide_it() -> None:
    # Safari's name-only frames: a run of bare words ends in the native frame; the header
    # of a trace right after a run of equal log lines is found too.
    lines = ["heartbeat ok"] * 500 + ["TypeError: x", "    at f (/a.js:1:2)"]
    assert [(t.start, t.exceptions[-1].type) for t in scan(lines)] == [(500, "TypeError")]


PAIRS = {
    "chained_headers": (
        "The above exception was the direct cause of the following exception:",
        "Traceback (most recent call last):",
    ),
    "header_and_frame": ("TypeError: x", "    at f (/a.js:1:2)"),
    "blank_and_caret": ("  ^", ""),
    "goroutines": ("goroutine 1 [running]:", "main.f()"),
}


@pytest.mark.parametrize("pair", sorted(PAIRS))
@pytest.mark.parametrize("count", [3, 40, 300])
def test_a_run_of_line_pairs_is_read_as_trying_every_line_reads_it(pair: str, count: int) -> None:
    # `scan` skips most of a run of repeated pairs with no trace: a trace just before, in
    # and right after the run is found as the plain loop finds it.
    trace = TEXTS[sorted(TEXTS)[0]].splitlines()
    for before, after in ((["x"], trace), (trace, ["x"]), ([], [*trace, *trace])):
        lines = clean_lines("\n".join([*before, *list(PAIRS[pair]) * count, *after])).lines
        found = [(t.start, t.end, t.exceptions[-1].type) for t in scan(lines)]
        assert found == _every_line(lines)
        assert found or not (before or after)


def test_a_text_is_read_up_to_max_lines_and_max_line_characters() -> None:
    trace = 'Traceback (most recent call last):\n  File "/a.py", line 1, in f\nValueError: x'
    before = "ok\n" * (MAX_LINES - 10)
    assert parse_text(before + trace)[0].exceptions[-1].type == "ValueError"
    assert not parse_text("ok\n" * MAX_LINES + trace)[0].exceptions
    clean = clean_lines("x" * (MAX_LINE * 3))
    assert [len(line) for line in clean.lines] == [MAX_LINE]


def test_a_run_of_empty_goroutine_headers_is_read_past_to_the_panic_after_it() -> None:
    # (Each header of the run once read the whole run again: quadratic on a flood of them.)
    panic = ["panic: x", "", "goroutine 1 [running]:", "main.f()", "\t/a.go:3 +0x1"]
    lines = ["goroutine 1 [running]:"] * 3000 + panic
    (trace,) = scan(lines)
    assert (trace.start, trace.exceptions[-1].frames[-1].lineno) == (3000, 3)


@pytest.mark.parametrize("at", [2040, 2045, 2046, 2047, 2048, 4094])
def test_a_trace_across_the_line_chunks_is_found_as_trying_every_line_finds(at: int) -> None:
    # Candidates are found 2,048 lines at a time: a header before a chunk's end whose frame
    # comes after it, and a trace starting right at the boundary, read as without chunks.
    lines = ["ok"] * at + ["TypeError: x", "request 7", "", "    at f (/a.js:1:2)", "done"]
    lines += ["ok"] * 3000
    assert [(t.start, t.end, t.exceptions[-1].type) for t in scan(lines)] == _every_line(lines)
    assert [t.start for t in scan(lines)] == [at]
