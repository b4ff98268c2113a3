"""The analyzer's caches stay at their bounds however many distinct keys events bring.

An event's frames pick the result cache's key and its release picks the commit, so both
are in an attacker's hands: more distinct ones than a cache holds must evict, not grow.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autotriage.analysis import analyzer as analyzer_module
from autotriage.analysis.analyzer import Analyzer
from autotriage.config import Settings
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from tests.support import make_git_repo

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _commits(repo: Path, count: int) -> list[str]:
    """`count` more commits, each changing the crashing line and CODEOWNERS; their shas."""
    shas = []
    for n in range(count):
        (repo / "app" / "main.py").write_text(f"def main():\n    return {n} / 0\n")
        (repo / "CODEOWNERS").write_text(f"app/ @team-{n}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {n}")
        shas.append(_git(repo, "rev-parse", "HEAD"))
    return shas


def _event(frame: Frame, release: str | None = None) -> ErrorEvent:
    return ErrorEvent(
        source="test",
        release=release,
        exceptions=[ExceptionInfo(type="ZeroDivisionError", frames=[frame])],
    )


def stack(n: int) -> ErrorEvent:
    """An event whose one frame names a file the repository lacks (so no blame runs)."""
    return _event(Frame(abs_path=f"/srv/app/gone_{n}.py", lineno=1, in_app=True))


@pytest.fixture
def analyzer(make_settings: Callable[..., Settings], tmp_path: Path) -> tuple[Analyzer, Path]:
    repo = make_git_repo(tmp_path / "repo")
    settings = make_settings(REPO_PATH=str(repo), AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "c"))
    return Analyzer(settings.analysis), repo


def test_results_stay_at_their_bound_under_distinct_stacks(
    analyzer: tuple[Analyzer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    found, _ = analyzer
    bound = analyzer_module._CACHE_SIZE
    for n in range(bound + 40):
        found.analyze(stack(n))
        assert len(found._results) <= bound
    assert len(found._results) == bound
    computed: list[str | None] = []  # the stacks analysed, not answered from the cache
    compute = found._analyze_at

    def counting(event: ErrorEvent, *args: Any) -> Any:
        computed.append(event.exceptions[0].frames[0].abs_path)
        return compute(event, *args)

    monkeypatch.setattr(found, "_analyze_at", counting)

    found.analyze(stack(40))  # the oldest one kept, used again: now the most recent
    found.analyze(stack(bound + 40))  # one more pushes out the least recently used
    found.analyze(stack(40))
    assert computed == [f"/srv/app/gone_{bound + 40}.py"]
    found.analyze(stack(41))
    assert computed[1:] == ["/srv/app/gone_41.py"]  # it was the one dropped
    assert len(found._results) == bound


def test_file_indexes_and_codeowners_stay_at_their_bounds_under_distinct_releases(
    analyzer: tuple[Analyzer, Path],
) -> None:
    found, repo = analyzer
    indexes = analyzer_module._INDEX_CACHE_SIZE
    owners = indexes * 4
    shas = _commits(repo, owners + 4)
    frame = Frame(abs_path="/srv/app/main.py", lineno=2, in_app=True, function="main")
    for n, sha in enumerate(shas):
        result = found.analyze(_event(frame, release=sha))
        assert result.commit == sha
        assert result.owners == [f"@team-{n}"]
        assert len(found._indexes) <= indexes
        assert len(found._owners) <= owners
    assert len(found._indexes) == indexes
    assert len(found._owners) == owners
    # an evicted commit is read again, and answers as it did
    again = found.analyze(_event(frame, release=shas[0]))
    assert (again.commit, again.owners) == (shas[0], ["@team-0"])
