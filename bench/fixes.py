"""Fix pipeline benchmark: real failing repositories, real traces, every gate.

Builds each case of bench/fixes_corpus (a git repository with tests, and the trace of
actually running it), runs `autotriage.actions.fixes` on it as ``autotriage fix`` would,
and prints: PRs opened on fixable cases (target 100%), false PRs (target 0), patches outside
the allowed files (target 0), and the median seconds per case.

    .venv/bin/python bench/fixes.py [--only NAME ...] [--timeout SECONDS] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autotriage.actions.fixes.gates import forbidden_reason
from autotriage.actions.fixes.local import fix_locally
from autotriage.actions.fixes.sandbox import isolation_available
from autotriage.config import load_settings
from autotriage.understanding.text import parse_text
from bench.fixes_corpus.build import build, case_names, corpus_test_command


def main() -> int:
    """Run the corpus and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--timeout", type=float, default=20.0, help="FIX_TEST_TIMEOUT per run")
    parser.add_argument("--json", action="store_true", help="print each case's attempt")
    args = parser.parse_args()
    # A credential in our own environment: the sandbox must keep it from every test run.
    os.environ["GITHUB_TOKEN"] = "ghp_bench_token_that_must_not_leak"  # noqa: S105
    rows = []
    with tempfile.TemporaryDirectory(prefix="fixbench-") as tmp:
        settings = load_settings(
            env_file=None, FIX_TEST_TIMEOUT=args.timeout, FIX_CACHE_DIR=f"{tmp}/cache"
        )
        for name in args.only or case_names():
            case = build(name, Path(tmp))
            # A deployed service reports its release; here that is the commit that ran.
            events = [e.model_copy(update={"release": case.sha}) for e in parse_text(case.trace)]
            started = time.monotonic()
            attempt = fix_locally(
                events[0],
                settings.analysis,
                settings.fix,
                case.repo,
                test_command=corpus_test_command(case.lang),
            )
            seconds = time.monotonic() - started
            # Checked apart from the gates: a PR's files must be named by the real trace
            # and never be CI, manifests or tests.
            outside = [
                f
                for f in attempt.files
                if attempt.outcome == "pr" and (forbidden_reason(f) or f"/{f}" not in case.trace)
            ]
            rows.append((case, attempt, seconds, outside))
            failed = attempt.failed_gate
            why = (
                failed.reason
                if failed
                else (attempt.reasons[0] if attempt.outcome != "pr" else "all gates held")
            )
            row = f"{name:24} expect {case.expect:4} got {attempt.outcome:7} {seconds:5.1f}s"
            print(f"{row}  {why[:90]}")
            if args.json:
                print(json.dumps(attempt.as_json(), indent=2))
    fixable = [r for r in rows if r[0].expect == "pr"]
    unfixable = [r for r in rows if r[0].expect != "pr"]
    opened = sum(1 for r in fixable if r[1].outcome == "pr")
    false_prs = sum(1 for r in unfixable if r[1].outcome == "pr")
    outside = sum(len(r[3]) for r in rows)
    print()
    share = 100 * opened / max(len(fixable), 1)
    print(f"cases: {len(rows)} ({len(fixable)} fixable, {len(unfixable)} must allow no PR)")
    print(f"test isolation: {isolation_available()}")
    print(f"PRs opened on fixable cases: {opened}/{len(fixable)} ({share:.0f}%)")
    print(f"false PRs: {false_prs}")
    print(f"patches outside the allowed files: {outside}")
    print(f"median seconds per case: {statistics.median(r[2] for r in rows):.2f}")
    return 0 if opened == len(fixable) and false_prs == 0 and outside == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
