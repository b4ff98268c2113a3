"""Confidence: a score in [0, 1] built from named pieces of evidence, each with its reason.

The weights are documented in docs/confidence.md; keep the two in step. Above
`FIX_THRESHOLD` a fix pull request may be attempted; below it, an issue is filed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIX_THRESHOLD = 0.8

# Evidence for the culprit's location.
MAPPED_UNIQUELY = 0.30
MAPPED_WEAKLY = 0.10  # folders differ, or compiled output mapped to its source twin
CONTEXT_MATCHES = 0.20
CONTEXT_DIFFERS = -0.25
CRASHING_IN_APP = 0.15
# Evidence that we read the code that ran.
RELEASE_RESOLVED = 0.15
# Evidence for the suspect commit.
SUSPECT_ON_CULPRIT_LINE = 0.20
# A suspect found on another frame's line, or at the start of history, adds nothing.
# Without a repository file for the culprit: the trace alone, at most this.
TRACE_ONLY_IN_APP = 0.20
TRACE_ONLY_LIBRARY = 0.10


@dataclass
class Confidence:
    """Adds evidence and remembers why; `value` is the clamped sum."""

    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    cap: float = 1.0

    def add(self, weight: float, reason: str) -> None:
        """Count `weight` (positive or negative) and record `reason` with its sign."""
        self.score += weight
        sign = "+" if weight >= 0 else "-"
        self.reasons.append(f"{reason} ({sign}{abs(weight):.2f})")

    def note(self, reason: str) -> None:
        """Record a fact that does not move the score."""
        self.reasons.append(reason)

    def limit(self, cap: float, reason: str) -> None:
        """Never report more than `cap`, and say why."""
        self.cap = min(self.cap, cap)
        self.reasons.append(f"{reason} (at most {cap:.2f})")

    @property
    def value(self) -> float:
        """The score clamped to [0, cap], rounded for display."""
        return round(max(0.0, min(self.score, self.cap, 1.0)), 2)
