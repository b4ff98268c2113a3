"""Stack-trace parsers, one module per runtime, and `scan` that runs them over lines.

Each module's ``parse(lines, start)`` says whether a trace of its runtime starts at
``lines[start]`` and reads it; `scan` tries them in turn at every line not yet inside a
trace, so one text can hold several traces, of several runtimes, between other log lines.
The order matters only where headers look alike (``pkg.Type: message`` is Java, .NET or
JavaScript): each of those parsers also requires a frame line of its own shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from autotriage.understanding.parsers import dotnet, go, java, javascript, php, python, ruby
from autotriage.understanding.parsers.base import Parser, Trace

PARSERS: tuple[tuple[str, Parser], ...] = (
    (python.PLATFORM, python.parse),
    (go.PLATFORM, go.parse),
    (php.PLATFORM, php.parse),
    (java.PLATFORM, java.parse),
    (dotnet.PLATFORM, dotnet.parse),
    (javascript.PLATFORM, javascript.parse),
    (ruby.PLATFORM, ruby.parse),
)

__all__ = ["PARSERS", "Trace", "scan"]


def scan(lines: Sequence[str], limit: int | None = None) -> list[Trace]:
    """Every trace in `lines` (the first `limit` of them), in order; lines between traces
    are left to the caller."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines) and (limit is None or len(traces) < limit):
        if not lines[i].strip():
            i += 1
            continue
        for _, parse in PARSERS:
            trace = parse(lines, i)
            if trace is not None and trace.end > i:
                traces.append(trace)
                i = trace.end
                break
        else:
            i += 1
    return traces
