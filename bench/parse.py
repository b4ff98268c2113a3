"""Parsing throughput: traces per second for each runtime's fixtures, as read by `parse_text`.

Usage: ``python bench/parse.py [seconds-per-runtime]`` (default 1.0). Reads the trace
fixtures under ``tests/fixtures/traces/<runtime>/`` and, for each runtime, parses them
round-robin for the given time, as plain text and again with a timestamp/level prefix on
every line (what log shippers do to traces). Prints traces/s per runtime and overall.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autotriage.understanding.text import parse_text

TRACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "traces"


def _prefixed(text: str) -> str:
    return "\n".join(
        f"2024-03-07T10:15:02.123Z ERROR [worker-1] {line}" for line in text.splitlines()
    )


def rate(texts: list[str], seconds: float) -> float:
    """Traces parsed per second over `texts`, repeated for about `seconds`."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for text in texts:
            count += len(parse_text(text))
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main(argv: list[str]) -> int:
    """Print traces/s per runtime, plain and prefixed."""
    seconds = float(argv[0]) if argv else 1.0
    runtimes = sorted(p.name for p in TRACES.iterdir() if p.is_dir() and p.name != "programs")
    print(f"{'runtime':<10} {'fixtures':>8} {'plain/s':>10} {'prefixed/s':>11}")
    totals: list[float] = []
    for runtime in runtimes:
        texts = [p.read_text(encoding="utf-8") for p in sorted((TRACES / runtime).glob("*.txt"))]
        plain = rate(texts, seconds)
        prefixed = rate([_prefixed(t) for t in texts], seconds)
        totals.append(plain)
        print(f"{runtime:<10} {len(texts):>8} {plain:>10,.0f} {prefixed:>11,.0f}")
    print(f"{'mean':<10} {'':>8} {sum(totals) / len(totals):>10,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
