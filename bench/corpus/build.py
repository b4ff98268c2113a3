"""Build the localization corpus: real git repositories, deployed elsewhere, run for real traces.

Each repository spec (specs_python.py, specs_js.py, specs_java.py) is a list of commits
by different authors (with dates relative to now) and a list of cases. A case names a
command that crashes on a planted bug; the buggy line carries a ``BUG:<case>`` marker so
the expected line is read from the file rather than hard-coded. `build_corpus` creates
the repositories with ``git``, copies each release's tree to a *deployment path* (another
folder, with a release-like prefix), runs every case with python3/node/java and returns
the traces, so `bench/localize.py` and the tests analyse exactly what a runtime printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Author:
    """A commit author."""

    name: str
    email: str


@dataclass(frozen=True)
class Commit:
    """One commit: files written (None deletes), by whom, how many days ago."""

    label: str
    author: Author
    message: str
    files: dict[str, str | None]
    days_ago: float
    tag: str | None = None


@dataclass(frozen=True)
class Case:
    """A planted bug and what a correct analysis says about it."""

    name: str
    args: list[str]
    path: str | None
    """Expected culprit repository path (None: not expected to be found)."""
    suspect: str | None
    """Label of the commit that introduced the bug (None: no suspect should be named)."""
    owners: list[str]
    output: str = "text"
    """``text``: stderr is a raw trace; ``sentry``: stdout is a Sentry event (JSON)."""
    in_repo: bool = True
    """False when the deployed code differs on purpose (line need not match)."""
    patch_deploy: dict[str, str] = field(default_factory=dict)
    """Files overwritten in the deployed copy only (a hotfix made on the server)."""


@dataclass(frozen=True)
class RepoSpec:
    """A repository of the corpus."""

    name: str
    language: str
    commits: list[Commit]
    cases: list[Case]
    run: list[str]
    """The command prefix run in the deployed copy (case args are appended)."""
    deploy_prefix: str
    """Where under the deploy root the release lands, like ``srv/app/releases/42``."""
    release: str | None = None
    """The tag deployed (None: the last commit)."""
    build: list[list[str]] = field(default_factory=list)
    """Commands run in the deployed copy before the cases (javac)."""
    deploy_subdir: str | None = None
    """Deploy only this folder of the repository (a ``src/`` layout package)."""


@dataclass
class Trace:
    """One case's output, ready for analysis."""

    repo: RepoSpec
    case: Case
    repo_path: Path
    body: bytes
    expected_line: int | None
    expected_sha: str | None
    stderr: bytes = b""
    """What the runtime printed on stderr: the raw trace, for every case."""


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def build_repo(spec: RepoSpec, root: Path, now: datetime | None = None) -> dict[str, str]:
    """Create `spec` as a git repository in `root`; returns commit label -> SHA."""
    now = now or datetime.now(UTC)
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}
    for commit in spec.commits:
        for path, text in commit.files.items():
            target = root / path
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        when = (now - timedelta(days=commit.days_ago)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": commit.author.name,
            "GIT_AUTHOR_EMAIL": commit.author.email,
            "GIT_COMMITTER_NAME": commit.author.name,
            "GIT_COMMITTER_EMAIL": commit.author.email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        _git(root, "add", "-A")
        _git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", commit.message, env=env)
        shas[commit.label] = _git(root, "rev-parse", "HEAD")
        if commit.tag:
            _git(root, "tag", commit.tag)
    return shas


def deploy(repo: Path, ref: str, target: Path) -> None:
    """Copy the tree of `ref` to `target`, as a release would be unpacked on a server."""
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=repo, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def marker_line(repo: Path, ref: str, path: str, case: str) -> int | None:
    """The line carrying ``BUG:<case>`` in `path` at `ref`."""
    text = _git(repo, "show", f"{ref}:{path}")
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"BUG:{re.escape(case)}(?![\w-])", line):
            return number
    return None


def build_corpus(root: Path, specs: list[RepoSpec]) -> list[Trace]:
    """Build every repository under `root`, deploy it elsewhere, run every case."""
    traces: list[Trace] = []
    for spec in specs:
        repo = root / "repos" / spec.name
        shas = build_repo(spec, repo)
        ref = spec.release or "HEAD"
        for case in spec.cases:
            # A fresh copy per case, so a server-only hotfix stays with its case.
            deployed = root / "deploy" / spec.name / case.name / spec.deploy_prefix
            deploy(repo, f"{ref}:{spec.deploy_subdir}" if spec.deploy_subdir else ref, deployed)
            for path, text in case.patch_deploy.items():
                (deployed / path).write_text(text)
            for command in spec.build:
                subprocess.run(command, cwd=deployed, check=True, capture_output=True)
            done = subprocess.run(
                [*spec.run, *case.args],
                cwd=deployed,
                capture_output=True,
                timeout=60,
                check=False,
            )
            body = done.stdout if case.output == "sentry" else done.stderr
            if not body.strip():
                raise RuntimeError(f"{spec.name}/{case.name} printed no trace: {done.stderr!r}")
            if case.output == "sentry" and spec.release:
                event = json.loads(body)
                event["release"] = f"{spec.name}@{spec.release.lstrip('v')}"
                body = json.dumps(event).encode()
            line = marker_line(repo, ref, case.path, case.name) if case.path else None
            suspect = shas[case.suspect] if case.suspect else None
            traces.append(Trace(spec, case, repo, body, line, suspect, done.stderr))
    return traces


def clean(root: Path) -> None:
    """Remove a corpus built under `root`."""
    shutil.rmtree(root, ignore_errors=True)
