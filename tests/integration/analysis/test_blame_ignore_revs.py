"""A reformatting commit listed in .git-blame-ignore-revs is never the suspect."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from autotriage.analysis import analyze_with
from autotriage.models import ErrorEvent, ExceptionInfo, Frame


def _commit(repo: Path, who: str, message: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": f"{who}@example.com",
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": f"{who}@example.com",
    }
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_listed_reformat_commit_is_skipped(tmp_path: Path, make_settings: Any) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "app" / "calc.py").write_text("def ratio(a, b):\n    return a / b;\n")
    first = _commit(repo, "ann", "Add ratio")
    (repo / "app" / "calc.py").write_text("def ratio(a, b):\n    return a / b\n")
    reformat = _commit(repo, "bot", "Format with black")
    event = ErrorEvent(
        source="test",
        exceptions=[
            ExceptionInfo(
                type="ZeroDivisionError",
                frames=[
                    Frame(
                        abs_path="/srv/app/calc.py",
                        lineno=2,
                        function="ratio",
                        in_app=True,
                        context_line="return a / b",
                    ),
                ],
            )
        ],
    )
    settings = make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))
    before = analyze_with(event, settings.analysis, location=str(repo))
    assert before.suspect_commit is not None
    assert before.suspect_commit.sha == reformat
    (repo / ".git-blame-ignore-revs").write_text(f"# black\n{reformat}\n")
    _commit(repo, "ann", "Ignore the formatting commit in blame")
    after = analyze_with(event, settings.analysis, location=str(repo))
    assert after.suspect_commit is not None
    assert after.suspect_commit.sha == first
    assert any(".git-blame-ignore-revs" in r for r in after.reasons)
