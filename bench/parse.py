"""Parsing on real traces: per runtime, how many read right, and traces per second.

Usage: ``python bench/parse.py [-v] [--set all|fixtures|heldout|heldout2..8] [seconds]``
(default: all, 0.5 s). Reads the corpus under ``tests/fixtures/traces/real/``
(``sources.json``: traces taken from other projects' test suites; ``generated.json``: output
of the runtimes on this machine; ``heldout_sources.json`` and ``heldout_generated.json``: the
held-out set gathered before session 10's fixes, from issues and from programs run here and
wrapped as log pipelines store them; ``heldout2_*`` to ``heldout8_*``: held-out sets each
gathered after the fixes for the sets before it; ``--set`` picks a pair, or all)
and, for each runtime, prints how many traces give the expected innermost frame (file, line,
function) and the expected exception type, how many give no exception at all, how many give
the expected number of events, and the parse rate.

The rules `judge` applies (the parser tests use the same function):

* the event judged is the first whose exception type is the expected one, else the first;
  a trace gives one event unless its entry says ``events``;
* the innermost frame is the newest frame of the raised (last) exception;
* a file matches when one path ends with the other (``/`` and ``\\`` alike), a function when
  it equals ``function``, ``module.function``, ``module::function`` or the name as the
  runtime printed it (``raw_function``, kept where the parser normalized it); an expected ``null``
  (or ``<unknown>``) function or ``null`` file means the source gives none (any anonymous
  name, or nothing, matches); a leading ``new `` and a trailing ``()`` are not part of a name;
* an expected ``null`` type is not asserted (the trace prints none: a bare backtrace).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autotriage.models import ErrorEvent, Frame
from autotriage.understanding.text import parse_text

REAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "traces" / "real"
ANONYMOUS = {None, "", "?", "<anonymous>", "anonymous", "<unknown>", "Anonymous function"}


@dataclass(frozen=True)
class Verdict:
    """How one trace read: frame and type right, an exception found, the event count right."""

    frame: bool
    type: bool
    found: bool
    events: bool
    got: str

    @property
    def ok(self) -> bool:
        """Everything the corpus asserts for this trace holds."""
        return self.frame and self.type and self.found and self.events


SETS = {
    "fixtures": ("sources.json", "generated.json"),
    "heldout": ("heldout_sources.json", "heldout_generated.json"),
    "heldout2": ("heldout2_sources.json", "heldout2_generated.json"),
    "heldout3": ("heldout3_sources.json", "heldout3_generated.json"),
    "heldout4": ("heldout4_sources.json",),
    "heldout5": ("heldout5_sources.json",),
    "heldout6": ("heldout6_sources.json", "heldout6_generated.json"),
    "heldout7": ("heldout7_sources.json",),
    "heldout8": ("heldout8_sources.json",),
}
SETS["all"] = tuple(
    m for name in ("fixtures", "heldout", *(f"heldout{n}" for n in range(2, 9))) for m in SETS[name]
)


def corpus(which: str = "all") -> Iterator[dict[str, Any]]:
    """Every entry of the set's manifests, with the trace text under ``text``."""
    for manifest in SETS[which]:
        for entry in json.loads((REAL / manifest).read_text(encoding="utf-8")):
            yield {**entry, "text": (REAL / entry["trace"]).read_text(encoding="utf-8")}


def _same_path(got: str | None, want: str | None) -> bool:
    if want is None:
        return True
    if not got:
        return False
    a, b = got.replace("\\", "/"), want.replace("\\", "/")
    return a.endswith(b) or b.endswith(a)


def _bare_name(name: str | None) -> str | None:
    # "new X" is X's constructor and "f()" is f: the parsers keep the names they always gave
    # (fingerprints of existing groups are made of them), so the judge compares the bare name.
    if name and name.startswith("new "):
        name = name[4:]
    return name[:-2] if name and name.endswith("()") else name


def _same_function(frame: Frame, want: str | None) -> bool:
    if want in ANONYMOUS:  # stacktrace-parser writes "<unknown>" where there is no name
        return frame.function in ANONYMOUS
    want = _bare_name(want)
    function = _bare_name(frame.function)
    names = {function, _bare_name(frame.raw_function)}
    if frame.module and function:
        names |= {f"{frame.module}.{function}", f"{frame.module}::{function}"}
    return want in names


def _chosen(events: list[ErrorEvent], want_type: str | None) -> ErrorEvent | None:
    for event in events:
        exc = event.primary_exception
        if exc is not None and exc.type == want_type:
            return event
    return events[0] if events else None


def judge(entry: dict[str, Any]) -> Verdict:
    """Read one corpus trace and compare it with what its source asserts."""
    events = parse_text(entry["text"])
    want = entry["expected"]
    event = _chosen(events, want["type"])
    exc = event.primary_exception if event else None
    count_ok = len(events) == entry.get("events", 1)
    if exc is None:
        return Verdict(False, want["type"] is None, False, count_ok, "no exception")
    frame = exc.frames[-1] if exc.frames else None
    frame_ok = frame is not None and (
        _same_path(frame.abs_path or frame.filename, want["file"])
        and frame.lineno == want["line"]
        and _same_function(frame, want["function"])
    )
    got = (
        f"{exc.type} at {frame.abs_path or frame.filename}:{frame.lineno} "
        f"{frame.module or ''}|{frame.function}"
        if frame
        else f"{exc.type} (no frames)"
    )
    type_ok = want["type"] is None or exc.type == want["type"]
    return Verdict(frame_ok, type_ok, True, count_ok, f"{got} [{len(events)} events]")


def rate(texts: list[str], seconds: float) -> float:
    """Traces parsed per second over `texts`, repeated for about `seconds`."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for text in texts:
            parse_text(text)
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main(argv: list[str]) -> int:
    """Print the per-runtime table and, with ``-v``, every trace that reads wrong."""
    verbose = "-v" in argv
    which = argv[argv.index("--set") + 1] if "--set" in argv else "all"
    numbers = [a for a in argv if a not in ("-v", "--set", which)]
    seconds = float(numbers[0]) if numbers else 0.5
    entries = list(corpus(which))
    runtimes = sorted({e["runtime"] for e in entries})
    print(
        f"{'runtime':<11} {'traces':>6} {'frame ok':>9} {'type ok':>8} "
        f"{'no exc':>7} {'events ok':>9} {'traces/s':>9}"
    )
    totals = [0, 0, 0, 0, 0]
    for runtime in runtimes:
        mine = [e for e in entries if e["runtime"] == runtime]
        verdicts = [(e, judge(e)) for e in mine]
        frame = sum(v.frame for _, v in verdicts)
        type_ = sum(v.type for _, v in verdicts)
        none = sum(not v.found for _, v in verdicts)
        count = sum(v.events for _, v in verdicts)
        speed = rate([e["text"] for e in mine], seconds)
        for i, n in enumerate((len(mine), frame, type_, none, count)):
            totals[i] += n
        print(
            f"{runtime:<11} {len(mine):>6} {frame:>9} {type_:>8} {none:>7} {count:>9} "
            f"{speed:>9,.0f}"
        )
        if verbose:
            for entry, verdict in verdicts:
                if not verdict.ok:
                    print(f"    {entry['trace']}: want {entry['expected']} got {verdict.got}")
    n, frame, type_, none, count = totals
    print(f"{'all':<11} {n:>6} {frame:>9} {type_:>8} {none:>7} {count:>9}")
    print(f"frame ok {frame / n:.1%}, type ok {type_ / n:.1%}, no exception {none}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
