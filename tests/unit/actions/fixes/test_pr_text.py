"""What a fix says: inert fences, the title shape, scrubbed bodies, the suggestion section."""

from __future__ import annotations

from autotriage.actions.fixes.model import Evidence, FixAttempt, GateResult, Patch, RunCounts
from autotriage.actions.fixes.pr_text import (
    FixSubject,
    fence,
    inline,
    pr_body,
    pr_title,
    suggestion,
)
from autotriage.analysis.result import Analysis
from autotriage.understanding.scrub import ScrubPolicy

POLICY = ScrubPolicy()
SUBJECT = FixSubject("builtins.NameError", "app.py", 5, "NameError: name 'subtotl' is not defined")


def _attempt(ok: bool) -> FixAttempt:
    counts = RunCounts(frozenset(), frozenset({"t::a"}))
    after = RunCounts(frozenset({"t::a"}), frozenset())
    return FixAttempt(
        outcome="pr" if ok else "suggest",
        patch=Patch("--- a/app.py\n+++ b/app.py\n@@ -5 +5 @@\n-x\n+y\n", "python-name", "why"),
        evidence=Evidence(
            "pytest -q",
            "bubblewrap",
            counts,
            after,
            ("t::a",),
            (),
            "proven",
            "boom ```` ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ),
        gates=[GateResult("files", True, ""), GateResult("tests", ok, "broke: t::b")],
    )


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    text = "before\n`````\n@everyone ![x](http://evil)\n"
    fenced = fence(text)
    assert fenced.startswith("``````\n") and fenced.endswith("\n``````")
    assert inline("a `b` c") == "``a `b` c``"


def test_the_title_names_the_type_and_the_line() -> None:
    assert pr_title(SUBJECT, POLICY) == "fix: NameError in app.py:5"


def test_the_body_carries_evidence_fixes_and_confidence() -> None:
    analysis = Analysis(confidence=0.9, reasons=["culprit mapped"], commit="abc")
    body = pr_body(SUBJECT, _attempt(True), analysis, 7, "http://gh/issues/7", POLICY)
    assert "Fixes #7" in body and "[#7](http://gh/issues/7)" in body
    assert "Before the patch: 0 passed, 1 failed" in body
    assert "After the patch: 1 passed, 0 failed" in body
    assert "Isolation: bubblewrap" in body and "## Confidence: 0.90" in body
    assert "- culprit mapped" in body


def test_a_suggestion_shows_the_diff_the_gate_and_a_scrubbed_excerpt() -> None:
    text = suggestion(_attempt(False), POLICY)
    assert text is not None
    assert "## Suggested fix (not validated)" in text
    assert "```diff\n--- a/app.py" in text
    assert "Gate that failed: **tests**: broke: t::b" in text
    assert "`````\nboom ````" in text  # the excerpt's own backticks cannot close its fence
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in text
    assert suggestion(FixAttempt(), POLICY) is None
