"""One fix attempt: pick a fixer, make a patch, run every gate, say pr / suggest / none.

`attempt_fix(event, analysis, repo, config)` never changes the repository or anything
remote: patches are applied only in throwaway worktrees. It never raises for a bad trace
or a failing test suite; those become reasons.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autotriage.actions.fixes import gates, jsscope, sandbox
from autotriage.actions.fixes.diffs import summarize
from autotriage.actions.fixes.jsfix import fix_javascript
from autotriage.actions.fixes.model import Evidence, FixAttempt, GateResult, Patch
from autotriage.actions.fixes.pyfix import fix_python
from autotriage.actions.fixes.rewrite import NoFix, Rewrite, apply_rewrite, unified_diff
from autotriage.actions.fixes.settings import FixConfig
from autotriage.actions.fixes.testrun import default_command, link_setup, prepare_setup, run_tests
from autotriage.actions.fixes.tree import CodeView, GitTree
from autotriage.analysis.git import run_git
from autotriage.analysis.result import Analysis
from autotriage.errors import GitError
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.understanding.scrub import scrub_text

EXCERPT_CHARS = 1200
_HINT_SUFFIX = re.compile(r"\. Did you mean:? .*$", re.S)


@dataclass(frozen=True, slots=True)
class Crash:
    """Where the error was raised, in repository terms."""

    exception: ExceptionInfo
    frame: Frame
    path: str


LlmPropose = Callable[[ErrorEvent, Crash, CodeView, list[str]], Patch | NoFix]


def locate(event: ErrorEvent, analysis: Analysis) -> Crash | None:
    """The raised exception's innermost in-app frame that the analysis mapped to a file."""
    rows = iter(analysis.frames)
    mapped: list[tuple[ExceptionInfo, Frame, str | None]] = []
    for exc in event.exceptions:
        for frame in exc.frames:
            row = next(rows, {})
            mapped.append(
                (exc, frame, row.get("repo_path") if row.get("mapping") == "mapped" else None)
            )
    for exc in reversed(event.exceptions):
        for candidate_exc, frame, path in reversed(mapped):
            if candidate_exc is exc and frame.in_app and path:
                return Crash(exc, frame, path)
    return None


def allowed_files(analysis: Analysis) -> set[str]:
    """Files a patch may touch: those of the trace's in-app frames the analysis mapped."""
    return {
        str(f["repo_path"])
        for f in analysis.frames
        if f.get("in_app") and f.get("repo_path") and f.get("mapping") == "mapped"
    }


def exception_text(exc: ExceptionInfo) -> tuple[str, str]:
    """(type, value) without the interpreter's "Did you mean" tail (tests print both ways)."""
    value = _HINT_SUFFIX.sub("", exc.value.strip().splitlines()[0] if exc.value.strip() else "")
    return exc.type.rsplit(".", 1)[-1], value


def deterministic_patch(view: CodeView, crash: Crash) -> Patch | NoFix:
    """The one-token patch the runtime implies, or why there is none."""
    frame, exc = crash.frame, crash.exception
    if frame.lineno is None:
        return NoFix("the crashing frame has no line number")
    if crash.path.endswith(".py"):
        found: Rewrite | NoFix = fix_python(
            view,
            crash.path,
            frame.lineno,
            None if frame.colno is None else frame.colno - 1,
            exc.type,
            exc.value,
        )
        fixer = "python-name"
    elif jsscope.language_of(crash.path):
        found = fix_javascript(view, crash.path, frame.lineno, frame.colno, exc.type, exc.value)
        fixer = "js-name"
    else:
        return NoFix(f"no deterministic fixer for {crash.path}")
    if isinstance(found, NoFix):
        return found
    text = view.read(crash.path) or ""
    after = apply_rewrite(text, found)
    return Patch(
        unified_diff(crash.path, text, after),
        fixer,
        f"`{found.old}` -> `{found.new}`: {found.why}",
        found.root_cause,
    )


def _parse_failures(tree: Path, files: list[str]) -> dict[str, str]:
    failures: dict[str, str] = {}
    for path in files:
        full = tree / path
        text = full.read_text(errors="replace")
        if path.endswith(".py"):
            try:
                compile(text, path, "exec", dont_inherit=True)  # compiles, never runs
            except SyntaxError as exc:
                failures[path] = f"{exc.msg} (line {exc.lineno})"
        elif path.endswith((".js", ".mjs", ".cjs")):
            done = subprocess.run(  # noqa: S603 - node --check parses, never runs
                ["node", "--check", str(full)],  # noqa: S607 - node from PATH, as the tests use
                capture_output=True,
                timeout=60,
                check=False,
            )
            if done.returncode != 0:
                failures[path] = (
                    done.stderr.decode(errors="replace").strip().splitlines()[-1:][0]
                    if done.stderr
                    else "node --check failed"
                )
        elif (kind := jsscope.language_of(path)) and jsscope.has_errors(text, kind):
            failures[path] = "the grammar reports a syntax error"
    return failures


def _excerpt(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return scrub_text("\n".join(lines[-20:])[-EXCERPT_CHARS:])


def _evaluate(
    repo: Path,
    commit: str,
    patch: Patch,
    files: list[str],
    command: str,
    required: str,
    config: FixConfig,
    paths: list[str],
    exception: tuple[str, str],
    attempt: FixAttempt,
) -> None:
    isolation = sandbox.isolation_available()
    setup_dir = None
    if config.setup_command:
        setup_dir, note = prepare_setup(
            repo, commit, paths, config.setup_command, config.cache_dir, config.limits
        )
        attempt.reasons.append(note)
        if setup_dir is None:
            attempt.gates.append(GateResult("tests", False, note[:300]))
            return
    with sandbox.worktree(repo, commit) as tree:
        link_setup(setup_dir, tree)
        diff_file = tree.parent / "fix.diff"
        diff_file.write_text(patch.diff)
        try:
            run_git(["-C", str(tree), "apply", "--check", str(diff_file)])
            applied, detail = True, ""
        except GitError as exc:
            applied, detail = False, str(exc)
        attempt.gates.append(gates.gate_applies(applied, detail))
        if not applied:
            return
        before = run_tests(tree, command, config.limits, setup_dir)
        run_git(["-C", str(tree), "apply", str(diff_file)])
        parse = gates.gate_parses(_parse_failures(tree, files))
        attempt.gates.append(parse)
        if not parse.ok:
            return
        after = run_tests(tree, command, config.limits, setup_dir)
    verdict, flipped, broken = gates.classify(before.counts, after.counts, exception)
    problems = [
        f"{name} run timed out after {config.limits.timeout:.0f}s"
        for name, r in (("before", before), ("after", after))
        if r.run.timed_out
    ]
    if problems:
        verdict = "refused"
    detail = "; ".join(problems) or (
        f"flipped: {', '.join(flipped)}"
        if flipped
        else f"broke: {', '.join(broken)}"
        if broken
        else "no test failed with this exception before"
        if verdict == "safe"
        else "no test passed after"
    )
    attempt.evidence = Evidence(
        command=command,
        isolation=sandbox.describe(isolation),
        before=before.counts,
        after=after.counts,
        flipped=flipped,
        broken=broken,
        verdict=verdict,
        excerpt=_excerpt(after.run.output if verdict == "refused" else ""),
    )
    attempt.gates.append(gates.gate_tests(verdict, required, detail))  # type: ignore[arg-type]


def attempt_fix(
    event: ErrorEvent,
    analysis: Analysis,
    repo: Path,
    config: FixConfig,
    *,
    llm: LlmPropose | None = None,
    check_enabled: bool = True,
) -> FixAttempt:
    """Try the fixers in order on `event` and judge the first patch with every gate."""
    attempt = FixAttempt(commit=analysis.commit)
    crash = locate(event, analysis)
    if analysis.commit is None or crash is None:
        attempt.reasons.append(
            "no in-app frame mapped to a file of the repository at a known commit"
        )
        return attempt
    view = GitTree(repo, analysis.commit)
    patch = deterministic_patch(view, crash)
    required = config.deterministic_requires
    if isinstance(patch, NoFix):
        attempt.reasons.append(f"deterministic: {patch.reason}")
        if llm is None or not config.llm_enabled:
            return attempt
        patch = llm(event, crash, view, sorted(allowed_files(analysis)))
        required = config.llm_requires
        if isinstance(patch, NoFix):
            attempt.reasons.append(f"llm: {patch.reason}")
            return attempt
    attempt.patch = patch
    summary = summarize(patch.diff)
    attempt.files = summary.files
    attempt.reasons.append(patch.why)
    static = [
        gates.gate_well_formed(summary),
        gates.gate_files(summary, allowed_files(analysis)),
        gates.gate_size(summary, config.max_changed_lines),
    ]
    attempt.gates += static
    command = config.test_command or default_command(view.paths(), sys.executable)
    if all(g.ok for g in static):
        if command is None:
            attempt.gates.append(
                GateResult("tests", False, "no FIX_TEST_COMMAND and no tests found")
            )
        else:
            _evaluate(
                repo,
                analysis.commit,
                patch,
                summary.files,
                command,
                required,
                config,
                view.paths(),
                exception_text(crash.exception),
                attempt,
            )
    attempt.gates.append(gates.gate_confidence(analysis.confidence, config.confidence_threshold))
    if check_enabled:
        attempt.gates.append(gates.gate_enabled(config.pr_enabled))
    elif not config.pr_enabled:
        attempt.reasons.append("PR_ENABLED is off: the service would only suggest this fix")
    failed = attempt.failed_gate
    attempt.outcome = "pr" if failed is None else "suggest"
    if failed is not None:
        attempt.reasons.append(f"gate {failed.gate} failed: {failed.reason}")
    return attempt
