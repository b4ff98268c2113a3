"""``autotriage fix --json`` on corpus repositories with real traces: what would happen, and why."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from autotriage.cli import app
from bench.fixes_corpus.build import build, corpus_test_command


def _run(tmp_path: Path, name: str, *extra: str) -> tuple[int, list[dict[str, object]]]:
    case = build(name, tmp_path)
    trace = tmp_path / f"{name}.txt"
    trace.write_text(case.trace)
    result = CliRunner().invoke(
        app,
        [
            "fix",
            "--repo",
            str(case.repo),
            "--ref",
            case.sha,
            "--test-command",
            corpus_test_command(case.lang),
            "--json",
            *extra,
            str(trace),
        ],
        env={
            "FIX_CACHE_DIR": str(tmp_path / "cache"),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        },
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


def test_a_fixable_error_would_get_a_pr_with_its_evidence(tmp_path: Path) -> None:
    code, [attempt] = _run(tmp_path, "py_attr_instance")
    assert code == 0
    assert attempt["outcome"] == "pr", attempt
    assert attempt["fixer"] == "python-name"
    assert attempt["files"] == ["app.py"]
    assert "+    return cart.total()" in str(attempt["patch"])
    evidence = attempt["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["before"] == {"passed": 0, "failed": 1}
    assert evidence["after"] == {"passed": 1, "failed": 0}
    assert evidence["flipped"] == ["tests.test_app::test_checkout"]
    assert "no network" in str(evidence["isolation"])
    assert any("PR_ENABLED is off" in r for r in attempt["reasons"])  # type: ignore[union-attr]


def test_a_wrong_suggestion_is_only_suggested(tmp_path: Path) -> None:
    _, [attempt] = _run(tmp_path, "py_wrong_suggestion")
    assert attempt["outcome"] == "suggest"
    assert any("gate tests failed" in r for r in attempt["reasons"])  # type: ignore[union-attr]


def test_a_javascript_member_fix(tmp_path: Path) -> None:
    _, [attempt] = _run(tmp_path, "js_member_object")
    assert attempt["outcome"] == "pr", attempt
    assert "calc.add(acc, v)" in str(attempt["patch"])


def test_a_repo_path_that_is_not_a_checkout_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "t.txt"
    trace.write_text("x")
    result = CliRunner().invoke(app, ["fix", "--repo", str(tmp_path), str(trace)])
    assert result.exit_code == 2
    assert "--repo" in result.output
