"""What a fix says on GitHub (or in the local tracker): the PR title and body, the link
comment, and the "Suggested fix (not validated)" comment when a gate failed.

Everything is scrubbed with the services' `ScrubPolicy`, and every piece of text that came
from the error or the repository is put in a code fence longer than any backtick run inside
it, so an error message can never close the fence and turn into Markdown (mentions,
links, images) in a body autotriage posts.
"""

from __future__ import annotations

from dataclasses import dataclass

from autotriage.actions.fixes.model import FixAttempt
from autotriage.actions.render import code_span, fence_for, inert, printable
from autotriage.analysis.result import Analysis
from autotriage.understanding.scrub import ScrubPolicy, scrub_text

TITLE_LIMIT = 200
EXCERPT_LINES = 20


@dataclass(frozen=True, slots=True)
class FixSubject:
    """What the fix is about: the exception type and where it was raised."""

    exc_type: str
    path: str
    line: int | None
    error: str
    """The error's one-line summary (``Type: message``)."""


def fence(text: str, info: str = "") -> str:
    """`text` in a code fence longer than any run of backticks inside it (inert Markdown)."""
    ticks = fence_for(text)
    return f"{ticks}{info}\n{printable(text.rstrip())}\n{ticks}"


def inline(text: str) -> str:
    """`text` as inline code that no backtick inside can close."""
    return code_span(text)


def pr_title(subject: FixSubject, policy: ScrubPolicy) -> str:
    """``fix: <Type> in <path>:<line>``."""
    where = subject.path if subject.line is None else f"{subject.path}:{subject.line}"
    short = subject.exc_type.rsplit(".", 1)[-1]
    return scrub_text(f"fix: {short} in {where}", policy)[:TITLE_LIMIT]


def _evidence_lines(attempt: FixAttempt) -> list[str]:
    evidence = attempt.evidence
    if evidence is None:
        return ["- The repository's tests were not run."]
    before = evidence.before.as_json() if evidence.before else {"passed": 0, "failed": 0}
    after = evidence.after.as_json() if evidence.after else {"passed": 0, "failed": 0}
    flipped = ", ".join(inline(t) for t in evidence.flipped) or "none (no test covered the bug)"
    return [
        f"- Command: {inline(evidence.command)}",
        f"- Before the patch: {before['passed']} passed, {before['failed']} failed",
        f"- After the patch: {after['passed']} passed, {after['failed']} failed",
        f"- Test that flipped from failing to passing: {flipped}",
        f"- Verdict: **{evidence.verdict}**",
        f"- Isolation: {evidence.isolation}",
    ]


def pr_body(
    subject: FixSubject,
    attempt: FixAttempt,
    analysis: Analysis,
    issue_number: int | None,
    issue_url: str | None,
    policy: ScrubPolicy,
) -> str:
    """The pull request's body: cause, fixer, evidence, error, confidence, ``Fixes #N``."""
    patch = attempt.patch
    cause = (patch.root_cause or patch.why) if patch else "unknown"
    lines = [
        "## Root cause",
        "",
        inert(cause),
        "",
        "## The fix",
        "",
        f"Fixer: {inline(patch.fixer if patch else '?')}. {patch.why if patch else ''}".rstrip(),
        "",
        "## Evidence",
        "",
        *_evidence_lines(attempt),
        "",
        "## The error",
        "",
        fence(subject.error),
        "",
    ]
    if issue_number is not None:
        link = f"[#{issue_number}]({issue_url})" if issue_url else f"#{issue_number}"
        lines += [f"Reported in {link}.", "", f"Fixes #{issue_number}", ""]
    lines += [f"## Confidence: {analysis.confidence:.2f}", ""]
    lines += [f"- {inert(r)}" for r in analysis.reasons] or ["- no reasons given"]
    lines += [
        "",
        "_Opened by autotriage as a draft: review it like any other change; it is never "
        "merged automatically._",
    ]
    return scrub_text("\n".join(lines), policy)


def pr_comment(number: int, url: str | None) -> str:
    """The issue comment that links the fix pull request."""
    link = f"[#{number}]({url})" if url else f"#{number}"
    return f"autotriage opened a fix pull request: {link} (the repository's tests passed on it)."


def suggestion(attempt: FixAttempt, policy: ScrubPolicy) -> str | None:
    """The "Suggested fix (not validated)" section, or None when there is no patch."""
    if attempt.patch is None:
        return None
    failed = attempt.failed_gate
    lines = [
        "## Suggested fix (not validated)",
        "",
        f"Fixer: {inline(attempt.patch.fixer)}. {attempt.patch.why}",
        "",
        fence(attempt.patch.diff, "diff"),
        "",
    ]
    if failed is not None:
        lines += [f"Gate that failed: **{failed.gate}**: {inert(failed.reason)}", ""]
    excerpt = attempt.evidence.excerpt if attempt.evidence else ""
    if excerpt.strip():
        tail = "\n".join(excerpt.strip().splitlines()[-EXCERPT_LINES:])
        lines += ["Test output (excerpt):", "", fence(tail), ""]
    lines.append("No pull request was opened: autotriage opens one only when every gate holds.")
    return scrub_text("\n".join(lines), policy)
