"""Localization accuracy over the corpus: culprit file and line, suspect commit, owners.

    python bench/localize.py [--keep DIR]

Builds the corpus repositories (bench/corpus), deploys them at another path, runs every
planted bug with python3, node and java, analyses the real traces against the
repositories and prints one row per case and the accuracies. A suspect counts as wrong
"with high confidence" when it differs from the planted commit and the analysis
confidence is above the fix threshold (0.8): the target is zero of those.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))

import build
import specs_java
import specs_js
import specs_python
import specs_python_pkg

from autotriage.analysis import analyze_with
from autotriage.analysis.confidence import FIX_THRESHOLD
from autotriage.config import load_settings
from autotriage.sources.registry import REGISTRY

SPECS = [specs_python.SPEC, specs_python_pkg.SPEC, specs_js.SPEC, specs_java.SPEC]


def run(root: Path) -> int:
    """Build, run and score the corpus under `root`; returns the process exit code."""
    started = time.perf_counter()
    traces = build.build_corpus(root, SPECS)
    built = time.perf_counter() - started
    settings = load_settings(env_file=None, AUTOTRIAGE_REPO_CACHE_DIR=str(root / "cache"))
    rows = []
    file_line_ok = file_line_total = suspect_ok = owners_ok = wrong_confident = 0
    # Every trace as its SDK-style event, and the JS/Java ones also as the raw text the
    # runtime printed (read by autotriage.understanding's parsers).
    runs = [(t, t.case.output, t.body) for t in traces]
    runs += [(t, "text", t.stderr) for t in traces if t.case.output == "sentry"]
    for trace, kind, body in runs:
        event = REGISTRY["sentry" if kind == "sentry" else "text"].parse(body, {})[0]
        result = analyze_with(event, settings.analysis, location=str(trace.repo_path))
        culprit = result.culprit
        path_ok = culprit is not None and culprit.path == trace.case.path
        line_ok = culprit is not None and culprit.line == trace.expected_line
        if trace.case.in_repo:
            file_line_total += 1
            file_line_ok += path_ok and line_ok
        got_sha = result.suspect_commit.sha if result.suspect_commit else None
        s_ok = got_sha == trace.expected_sha
        suspect_ok += s_ok
        if got_sha is not None and not s_ok and result.confidence > FIX_THRESHOLD:
            wrong_confident += 1
        o_ok = result.owners == trace.case.owners
        owners_ok += o_ok
        rows.append(
            (
                f"{trace.repo.language}/{trace.case.name}"
                + (" (raw text)" if kind == "text" and trace.case.output == "sentry" else ""),
                f"{culprit.path}:{culprit.line}" if culprit else "-",
                "ok" if (path_ok and line_ok) else ("drift" if not trace.case.in_repo else "WRONG"),
                (got_sha or "none")[:8]
                + ("" if s_ok else f" (want {(trace.expected_sha or 'none')[:8]})"),
                "ok" if o_ok else f"WRONG {result.owners}",
                f"{result.confidence:.2f}",
            )
        )
    header = ("case", "culprit", "file+line", "suspect", "owners", "conf")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    n = len(runs)
    print()
    print(
        f"traces: {n} ({len(traces)} runs, {n - len(traces)} also read as raw text) "
        f"from {len(SPECS)} repositories (built and run in {built:.1f}s)"
    )
    print(
        f"top-1 culprit file+line: {file_line_ok}/{file_line_total} "
        f"({100 * file_line_ok / max(file_line_total, 1):.0f}%) of traces whose frames exist"
    )
    print(f"suspect commit: {suspect_ok}/{n} ({100 * suspect_ok / n:.0f}%)")
    print(f"owners: {owners_ok}/{n} ({100 * owners_ok / n:.0f}%)")
    print(f"wrong suspect with confidence > {FIX_THRESHOLD}: {wrong_confident}")
    return 0 if file_line_ok == file_line_total and wrong_confident == 0 else 1


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = parser.parse_args()
    if args.keep:
        build.clean(args.keep)
        sys.exit(run(args.keep))
    with tempfile.TemporaryDirectory(prefix="autotriage-corpus-") as tmp:
        sys.exit(run(Path(tmp)))


if __name__ == "__main__":
    main()
