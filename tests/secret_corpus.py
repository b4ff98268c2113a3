"""The secret corpus (`tests/fixtures/secrets/corpus.json`) and how the scrubber fares on it.

Each kind has real-format samples, each naming the secret it holds, and near-misses that
look alike but hold none. A sample is caught when its secret is gone from the scrubbed
text and a ``[REDACTED:...]`` token stands in its place; a near-miss is kept when
scrubbing changes nothing. Read by `tests/unit/understanding/test_scrub_corpus.py` (which
asserts precision and recall of 1.0) and `bench/scrub_corpus.py` (which prints them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from autotriage.understanding.scrub import scrub_text
from tests.support import fixture_path


def load_corpus() -> list[dict[str, Any]]:
    """The corpus's kinds, each with ``samples`` and ``near_misses``."""
    doc = json.loads(fixture_path("secrets", "corpus.json").read_text(encoding="utf-8"))
    kinds: list[dict[str, Any]] = doc["kinds"]
    return kinds


@dataclass
class Verdict:
    """One kind's outcome: secrets caught and missed, near-misses kept and altered."""

    kind: str
    caught: int = 0
    missed: list[str] = field(default_factory=list)
    kept: int = 0
    altered: list[str] = field(default_factory=list)


def judge(kind: dict[str, Any]) -> Verdict:
    """Scrub every sample and near-miss of `kind` (emails kept: none is an email)."""
    verdict = Verdict(kind["kind"])
    for sample in kind["samples"]:
        out = scrub_text(sample["text"], emails=False)
        if sample["secret"] in out or "[REDACTED:" not in out:
            verdict.missed.append(out)
        else:
            verdict.caught += 1
    for text in kind["near_misses"]:
        out = scrub_text(text, emails=False)
        if out == text:
            verdict.kept += 1
        else:
            verdict.altered.append(out)
    return verdict


def precision_recall(verdicts: list[Verdict]) -> tuple[float, float]:
    """Precision (redactions that hit a secret) and recall (secrets redacted), over all."""
    caught = sum(v.caught for v in verdicts)
    missed = sum(len(v.missed) for v in verdicts)
    altered = sum(len(v.altered) for v in verdicts)
    precision = caught / (caught + altered) if caught + altered else 1.0
    recall = caught / (caught + missed) if caught + missed else 1.0
    return precision, recall
