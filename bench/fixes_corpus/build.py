"""Build a fix-corpus case: a git repository from its files, and the real trace of running it.

Each case folder holds ``files/`` (the repository) and ``case.json`` (language, the command
that reproduces the failure, whether a PR is expected). The trace is what that command
prints on stderr when run in the freshly committed repository: nothing is written by hand.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Dev",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Dev",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/nonexistent",
}


@dataclass(frozen=True)
class Case:
    """One corpus case, as built on disk."""

    name: str
    lang: str
    expect: str
    note: str
    repo: Path
    trace: str
    sha: str


def case_names() -> list[str]:
    """Every case in the corpus."""
    return sorted(p.parent.name for p in CORPUS.glob("*/case.json"))


def corpus_test_command(lang: str) -> str:
    """The FIX_TEST_COMMAND the corpus runs with, per language."""
    if lang == "python":
        return (
            f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q "
            "-p no:cacheprovider --junitxml={junit}"
        )
    return "node --test --test-reporter=junit --test-reporter-destination={junit}"


def build(name: str, workdir: Path) -> Case:
    """Commit case `name` into a repository under `workdir` and run it for its trace."""
    meta = json.loads((CORPUS / name / "case.json").read_text())
    repo = workdir / name
    shutil.copytree(CORPUS / name / "files", repo)
    # Two commits: the code arrives after the start of history, as in a real project, so
    # blame can name the commit that introduced the bug.
    steps = (
        ["init", "-q", "-b", "main"],
        ["commit", "-q", "--allow-empty", "-m", "Start the project"],
        ["add", "-A", "-f"],
        ["commit", "-q", "-m", f"Add {name}"],
    )
    for args in steps:
        subprocess.run(["git", *args], cwd=repo, env=_GIT_ENV, check=True, capture_output=True)
    command = [sys.executable if meta["run"][0] == "python3" else meta["run"][0], *meta["run"][1:]]
    done = subprocess.run(
        command,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": _GIT_ENV["PATH"], "HOME": "/nonexistent", "NODE_OPTIONS": ""},
    )
    if done.returncode == 0:
        raise RuntimeError(f"{name}: {meta['run']} did not fail")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    return Case(name, meta["lang"], meta["expect"], meta["note"], repo, done.stderr, sha)
