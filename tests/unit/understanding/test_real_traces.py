"""Every trace of the real-trace corpus reads to the innermost frame and type its source asserts.

The corpus and its rules are described in ``tests/fixtures/traces/real/README.md`` and in
``bench/parse.py``'s docstring (the judge is shared, so the benchmark and this test agree).
`KNOWN_WRONG` lists the traces still read differently from their source, each with why (the
manifest entry's ``known_wrong``); each is a strict xfail, so a fix that makes one pass fails
the run until it is taken off the list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import parse as bench_parse

ENTRIES = {entry["trace"]: entry for entry in bench_parse.corpus()}
# Traces still read wrong: the manifest entry says why (``known_wrong``).
KNOWN_WRONG = {name: e["known_wrong"] for name, e in ENTRIES.items() if "known_wrong" in e}


def test_corpus_covers_eight_runtimes_with_the_held_out_set() -> None:
    runtimes = {entry["runtime"] for entry in ENTRIES.values()}
    assert runtimes == {"python", "javascript", "java", "dotnet", "go", "ruby", "php", "rust"}
    assert len(ENTRIES) >= 344
    held_out = [
        *bench_parse.corpus("heldout"),
        *bench_parse.corpus("heldout2"),
        *bench_parse.corpus("heldout3"),
        *bench_parse.corpus("heldout4"),
        *bench_parse.corpus("heldout5"),
        *bench_parse.corpus("heldout6"),
        *bench_parse.corpus("heldout7"),
        *bench_parse.corpus("heldout8"),
    ]
    assert len(held_out) >= 132
    assert {entry["trace"] for entry in held_out} <= set(ENTRIES)
    for entry in ENTRIES.values():
        origin = entry["origin"]
        assert origin.get("generated_here") or (origin["repository"] and origin["path"])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[n]))
        if n in KNOWN_WRONG
        else n
        for n in sorted(ENTRIES)
    ],
)
def test_real_trace_reads_as_its_source_asserts(name: str) -> None:
    verdict = bench_parse.judge(ENTRIES[name])
    assert verdict.found, verdict.got
    assert verdict.events, verdict.got
    assert verdict.type, verdict.got
    assert verdict.frame, verdict.got
