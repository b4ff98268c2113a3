"""Stack-trace parsers, one module per runtime, and `scan` that runs them over lines.

Each module's ``parse(lines, start)`` says whether a trace of its runtime starts at
``lines[start]`` and reads it; `scan` tries them in turn at every line not yet inside a
trace, so one text can hold several traces, of several runtimes, between other log lines.
The order matters only where headers look alike (``pkg.Type: message`` is Java, .NET or
JavaScript): each of those parsers also requires a frame line of its own shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from autotriage.understanding.parsers import (
    dotnet,
    go,
    java,
    javascript,
    php,
    python,
    ruby,
    rust,
)
from autotriage.understanding.parsers.base import Parser, Trace

PARSERS: tuple[tuple[str, Parser], ...] = (
    (python.PLATFORM, python.parse),
    (go.PLATFORM, go.parse),
    (php.PLATFORM, php.parse),
    (java.PLATFORM, java.parse),
    (dotnet.PLATFORM, dotnet.parse),
    (javascript.PLATFORM, javascript.parse),
    (ruby.PLATFORM, ruby.parse),
    (rust.PLATFORM, rust.parse),
)

__all__ = ["PARSERS", "Trace", "scan"]


# A trace starts only at a line that holds one of these words (each parser's own first test
# asks for one of them), or within `_WINDOW` lines before a frame-like line ("at ", "@"):
# the headers that need a frame after them look no further ahead than that.
_START_WORDS = (
    "Traceback",
    'File "',
    "panic",
    "fatal",
    "SIG",
    "goroutine",
    "DATA RACE",
    "rror",
    "ncaught",
    "exception '",
    ":in ",
    " (",
    "Rejection",
    "Exception",
    "Throwable",
)
_FRAME_WORDS = ("at ", "@", ".go:")  # (Go's location lines: a stack with no goroutine line)
_WINDOW = 16
"""Lines before a frame-like line that may hold its header (the parsers look ahead 6 to 13)."""


def _candidates(lines: Sequence[str], begin: int, end: int) -> bytearray:
    """One byte per line of ``lines[begin:end]``: 1 where a trace may start. Found with
    `str.find` over the joined lines (and `_WINDOW` more, for their frame-like lines), one hit
    per word and line, so a megabyte with few such lines costs a few scans."""
    stop = min(len(lines), end + _WINDOW)
    joined = "\n".join(lines[begin:stop])
    hits: list[tuple[int, bool]] = []
    for word in (*_START_WORDS, *_FRAME_WORDS):
        framey = word in _FRAME_WORDS
        pos = joined.find(word)
        while pos >= 0:
            hits.append((pos, framey))
            newline = joined.find("\n", pos + len(word))
            if newline < 0:
                break
            pos = joined.find(word, newline + 1)
    hits.sort()
    marks = bytearray(stop - begin)
    line, last = 0, 0
    for pos, framey in hits:
        line += joined.count("\n", last, pos)
        last = pos
        if framey:
            first = max(0, line - _WINDOW)
            marks[first : line + 1] = b"\x01" * (line + 1 - first)
        else:
            marks[line] = 1
    return marks[: end - begin]


_CHUNK = 2048
"""Lines whose candidates are found at once: a text that reaches the trace limit early is
not searched to its end."""


def _past_repeats(lines: Sequence[str], i: int) -> int:
    """Where to go on after no trace started at ``lines[i]``: past a run of lines equal to it,
    but for the run's last `_WINDOW` lines (where a header may see what follows the run).
    Each start in a run sees the same lines ahead until the window reaches the run's end."""
    end = i + 1
    while end < len(lines) and lines[end] == lines[i]:
        end += 1
    return max(i + 1, end - _WINDOW - 1)


_BEHIND = 6
"""Lines before its start a parser may read (JavaScript's throw site, Go's goroutine line)."""


def _past_pairs(lines: Sequence[str], i: int, floor: int) -> int:
    """Where to go on after no trace started at ``lines[i - 1]`` or ``lines[i]`` (both at or
    after `floor`, the end of the last trace): past a run of line pairs equal to those two,
    from `_BEHIND` lines before them, but for the run's last `_WINDOW` lines. Each start in
    such a run sees what one of the two saw, behind and ahead, until the window reaches
    the run's end (a flood of chained headers with no frames is read once, not per pair)."""
    first = i - 1 - _BEHIND
    if first < 0 or i - 1 < floor:
        return i + 1
    for k in range(first, i - 1):
        if lines[k] != lines[k + 2]:
            return i + 1
    end = i + 1
    while end < len(lines) and lines[end] == lines[end - 2]:
        end += 1
    return max(i + 1, end - _WINDOW - 1)


def scan(lines: Sequence[str], limit: int | None = None) -> list[Trace]:
    """Every trace in `lines` (the first `limit` of them), in order; lines between traces
    are left to the caller."""
    traces: list[Trace] = []
    chunk, marks = 0, bytearray()

    def candidate(i: int) -> int:
        """The first line at or after `i` where a trace may start, or -1."""
        nonlocal chunk, marks
        while i < len(lines):
            if not chunk <= i < chunk + len(marks):
                chunk = i - i % _CHUNK
                marks = _candidates(lines, chunk, min(len(lines), chunk + _CHUNK))
            found = marks.find(1, i - chunk)
            if found >= 0:
                return chunk + found
            i = chunk + len(marks)
        return -1

    i, floor = candidate(0), 0
    while i >= 0 and (limit is None or len(traces) < limit):
        if not lines[i].strip():
            i = candidate(i + 1)
            continue
        for _, parse in PARSERS:
            trace = parse(lines, i)
            if trace is not None and trace.end > i:
                traces.append(trace)
                i = floor = trace.end
                break
        else:
            if i + 1 < len(lines) and lines[i + 1] == lines[i]:
                i = _past_repeats(lines, i)
            elif i + 2 < len(lines) and lines[i + 2] == lines[i]:
                i = _past_pairs(lines, i, floor)
            else:
                i += 1
        i = candidate(i)
    return traces
