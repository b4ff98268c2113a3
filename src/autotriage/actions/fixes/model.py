"""What a fix attempt is: a patch, the evidence the repository's tests gave, an outcome.

``outcome`` is ``pr`` when every gate held (a pull request may be opened), ``suggest``
when there is a patch but some gate failed (it may be shown, never pushed), and ``none``
when no fixer produced a patch at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["pr", "suggest", "none"]
Verdict = Literal["proven", "safe", "refused"]
VERDICT_RANK: dict[str, int] = {"refused": 0, "safe": 1, "proven": 2}
BRANCH_PREFIX = "autotriage/fix-"


def branch_name(token: str) -> str:
    """``autotriage/fix-<token>``: one branch per group (its footer token), on any tracker."""
    return f"{BRANCH_PREFIX}{token}"


@dataclass(frozen=True, slots=True)
class Patch:
    """A unified diff (``a/``/``b/`` paths relative to the repository root)."""

    diff: str
    fixer: str
    """Which fixer wrote it: ``python-name``, ``js-member``, ``llm`` ..."""
    why: str
    """One sentence a PR body can quote: why this change, why this name."""
    root_cause: str = ""


@dataclass(frozen=True, slots=True)
class RunCounts:
    """Per-test results of one run of the test command."""

    passed: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    failures: dict[str, str] = field(default_factory=dict)
    """Failed test id -> its failure message (used to match the reported exception)."""

    def as_json(self) -> dict[str, int]:
        """``{"passed": n, "failed": n}``."""
        return {"passed": len(self.passed), "failed": len(self.failed)}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What running the tests before and after the patch showed."""

    command: str
    isolation: str
    before: RunCounts | None = None
    after: RunCounts | None = None
    flipped: tuple[str, ...] = ()
    """Tests that failed before with the reported exception and pass after."""
    broken: tuple[str, ...] = ()
    """Tests that passed before and fail after."""
    verdict: Verdict = "refused"
    excerpt: str = ""
    """A short, scrubbed piece of the test output (for a suggestion's explanation)."""

    def as_json(self) -> dict[str, Any]:
        """The ``evidence`` object of ``autotriage fix --json``."""
        return {
            "command": self.command,
            "before": self.before.as_json() if self.before else None,
            "after": self.after.as_json() if self.after else None,
            "flipped": list(self.flipped),
            "broken": list(self.broken),
            "verdict": self.verdict,
            "isolation": self.isolation,
        }


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate's answer: its name (quotable in a PR body), whether it held, and why."""

    gate: str
    ok: bool
    reason: str


@dataclass(slots=True)
class FixAttempt:
    """The result of trying to fix one event."""

    outcome: Outcome = "none"
    patch: Patch | None = None
    files: list[str] = field(default_factory=list)
    evidence: Evidence | None = None
    gates: list[GateResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    commit: str | None = None

    @property
    def failed_gate(self) -> GateResult | None:
        """The first gate that did not hold."""
        return next((g for g in self.gates if not g.ok), None)

    def as_json(self) -> dict[str, Any]:
        """The object ``autotriage fix --json`` prints for one event."""
        return {
            "outcome": self.outcome,
            "fixer": self.patch.fixer if self.patch else None,
            "patch": self.patch.diff if self.patch else None,
            "files": list(self.files),
            "evidence": self.evidence.as_json() if self.evidence else None,
            "gates": [{"gate": g.gate, "ok": g.ok, "reason": g.reason} for g in self.gates],
            "reasons": list(self.reasons),
            "commit": self.commit,
        }
