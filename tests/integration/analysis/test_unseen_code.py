"""Traces from code written for another purpose: the trace fixtures' own programs.

tests/fixtures/traces holds traces printed by python3, node and java running the programs
in tests/fixtures/traces/programs, with the expected culprit file and line of each in
expected.json. Committed as a fresh git repository, those programs are code the analysis
has never seen: every culprit whose file is in that repository must be found.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from autotriage.analysis import analyze_with
from autotriage.sources.registry import REGISTRY
from tests.support import fixture_path


def test_culprits_in_programs_never_seen_before(make_settings: Any, tmp_path: Path) -> None:
    traces = fixture_path("traces")
    repo = tmp_path / "programs"
    shutil.copytree(traces / "programs", repo)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Fixture",
            "-c",
            "user.email=fixture@example.com",
            "commit",
            "-qm",
            "Programs",
        ],
        cwd=repo,
        check=True,
    )
    names = {p.name for p in repo.rglob("*") if p.is_file()}
    expected: dict[str, dict[str, Any]] = json.loads((traces / "expected.json").read_text())
    settings = make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))
    checked = []
    for name, want in sorted(expected.items()):
        if not name.startswith(("python/", "node/", "java/")) or want.get("file") not in names:
            continue  # the culprit's file is not part of the programs (or not a program trace)
        event = REGISTRY["text"].parse((traces / name).read_bytes(), {})[0]
        result = analyze_with(event, settings.analysis, location=str(repo))
        culprit = result.culprit
        assert culprit is not None, name
        assert culprit.mapped, (name, result.reasons)
        if len(want.get("chain", [])) > 1:
            # expected.json names the raised exception's frame; for a chain the analysis
            # names the root cause's, as issue 6 asks.
            assert Path(culprit.path).name == want["file"], name
            assert any("root cause" in r for r in result.reasons), (name, result.reasons)
        else:
            assert (Path(culprit.path).name, culprit.line) == (want["file"], want["line"]), name
        assert any(line.startswith(">") for line in culprit.code), name
        checked.append(name)
    assert len(checked) >= 12, checked
