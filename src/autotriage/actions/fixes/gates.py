"""The gates a patch must pass before a pull request: small pure functions, each named so a
PR body or a refusal can quote it. Each returns a `GateResult`; all must hold for a PR."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection

from autotriage.actions.fixes.diffs import DiffSummary
from autotriage.actions.fixes.model import VERDICT_RANK, GateResult, RunCounts, Verdict

_CI = re.compile(
    r"(^|/)(\.github|\.gitlab|\.circleci|\.buildkite|\.azure-pipelines|\.husky)/"
    r"|(^|/)(\.gitlab-ci\.ya?ml|\.travis\.ya?ml|Jenkinsfile|azure-pipelines\.ya?ml|"
    r"bitbucket-pipelines\.yml|\.drone\.ya?ml|appveyor\.ya?ml|\.pre-commit-config\.yaml|"
    r"Dockerfile|compose\.ya?ml|docker-compose\.ya?ml|Makefile|tox\.ini|noxfile\.py)$"
)
_MANIFESTS = re.compile(
    r"(^|/)(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|"
    r"bun\.lockb?|requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml|setup\.py|"
    r"setup\.cfg|Pipfile(\.lock)?|poetry\.lock|uv\.lock|pdm\.lock|go\.mod|go\.sum|Cargo\.(toml|lock)|"
    r"Gemfile(\.lock)?|composer\.(json|lock)|pom\.xml|build\.gradle(\.kts)?|gradle\.lockfile|"
    r"\.npmrc|\.yarnrc(\.yml)?|\.pypirc|pip\.conf)$"
)
_TESTS = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testing)/|(^|/)(test_[^/]*\.py|[^/]*_test\.py|conftest\.py|"
    r"[^/]*\.(test|spec)\.[cm]?[jt]sx?)$"
)


def forbidden_reason(path: str) -> str | None:
    """Why no fix may ever touch `path` (CI, manifests, tests, dot-config), or None."""
    if _CI.search(path):
        return f"{path} is CI or build configuration"
    if _MANIFESTS.search(path):
        return f"{path} is a dependency manifest or lock file"
    if _TESTS.search(path):
        return f"{path} is a test file"
    if any(part.startswith(".") for part in posixpath.dirname(path).split("/") if part):
        return f"{path} is under a hidden directory"
    return None


def gate_enabled(pr_enabled: bool) -> GateResult:
    """Pull requests are switched on (``PR_ENABLED=true``)."""
    if pr_enabled:
        return GateResult("enabled", True, "PR_ENABLED is true")
    return GateResult("enabled", False, "PR_ENABLED is off: a fix is only suggested")


def gate_confidence(confidence: float, threshold: float) -> GateResult:
    """The analysis is at least as sure as ``PR_CONFIDENCE_THRESHOLD``."""
    ok = confidence >= threshold
    return GateResult(
        "confidence",
        ok,
        f"analysis confidence {confidence:.2f} {'>=' if ok else '<'} {threshold:.2f}",
    )


def gate_well_formed(summary: DiffSummary) -> GateResult:
    """The patch only edits existing text files inside the repository."""
    if summary.problems:
        return GateResult("well-formed", False, "; ".join(summary.problems))
    return GateResult("well-formed", True, f"edits {len(summary.files)} existing file(s)")


def gate_files(summary: DiffSummary, allowed: Collection[str]) -> GateResult:
    """Only files of the trace's in-app frames; never CI, manifests, tests or dot-config."""
    for path in summary.files:
        reason = forbidden_reason(path)
        if reason is not None:
            return GateResult("files", False, reason)
        if path not in allowed:
            return GateResult("files", False, f"{path} is not a file of the trace's in-app frames")
    return GateResult("files", True, f"touches only in-app frame files: {', '.join(summary.files)}")


def gate_size(summary: DiffSummary, max_lines: int) -> GateResult:
    """At most ``FIX_MAX_CHANGED_LINES`` changed lines."""
    ok = 0 < summary.changed_lines <= max_lines
    return GateResult("size", ok, f"{summary.changed_lines} changed line(s), limit {max_lines}")


def gate_applies(applied: bool, detail: str) -> GateResult:
    """The patch applies cleanly at the analysed commit (``git apply --check`` in a worktree)."""
    return GateResult(
        "applies", applied, "applies cleanly" if applied else f"does not apply: {detail}"[:300]
    )


def gate_parses(failures: dict[str, str]) -> GateResult:
    """Every changed file still parses (``py_compile``, ``node --check``, the grammar)."""
    if failures:
        path, why = next(iter(failures.items()))
        return GateResult("parses", False, f"{path} does not parse: {why}"[:300])
    return GateResult("parses", True, "changed files parse")


def _failed_with(message: str, exception: tuple[str, str]) -> bool:
    """Whether a failure message shows this exception: its type and its value both appear
    (runners print ``Type: value``, ``Type [Error]: value`` or the value alone with a cause)."""
    exc_type, value = exception
    return exc_type in message and (not value or value in message)


def classify(
    before: RunCounts, after: RunCounts, exception: tuple[str, str]
) -> tuple[Verdict, tuple[str, ...], tuple[str, ...]]:
    """proven / safe / refused, the tests that flipped to passing, the tests that broke.

    proven: a test that failed before with `exception` (type, value) passes after, and no
    test that passed before fails; safe: nothing broke and no test covered the bug. A test
    that failed with the exception and still fails means the bug is covered but not fixed:
    refused. A collection error (a test module that failed to import) flips when its tests
    pass.
    """
    broken = tuple(sorted(t for t in before.passed if t not in after.passed))
    new_failures = tuple(sorted(after.failed - before.failed))
    flipped: list[str] = []
    still_failing: list[str] = []
    for test in sorted(before.failed):
        if not _failed_with(before.failures.get(test, ""), exception):
            continue
        passes = test in after.passed or any(p.startswith(test + "::") for p in after.passed)
        if passes and test not in after.failed:
            flipped.append(test)
        else:
            still_failing.append(test)
    if broken or new_failures or still_failing:
        return "refused", tuple(flipped), broken + new_failures + tuple(still_failing)
    if flipped:
        return "proven", tuple(flipped), ()
    if not after.passed:
        return "refused", (), ()
    return "safe", (), ()


def gate_tests(verdict: Verdict, required: Verdict, detail: str) -> GateResult:
    """The tests' verdict is at least what the fixer needs (safe for deterministic, proven
    for the LLM, both configurable)."""
    ok = verdict != "refused" and VERDICT_RANK[verdict] >= VERDICT_RANK[required]
    return GateResult("tests", ok, f"tests say {verdict} (needs {required}): {detail}"[:400])
