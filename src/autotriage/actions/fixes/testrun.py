"""Running the repository's tests before and after a patch, in fresh sandboxed worktrees.

The setup command (``FIX_SETUP_COMMAND``: ``npm ci``, ``pip install -r ...``) runs once per
hash of the lock and manifest files, in a persistent export of the commit under the cache
directory; what it creates at the top level (``node_modules``, ``.venv``) is linked into
every worktree. It runs on the unpatched commit with the network (it needs registries) but
without credentials; the test runs never get the network.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from autotriage.actions.fixes import sandbox
from autotriage.actions.fixes.gates import _MANIFESTS
from autotriage.actions.fixes.model import RunCounts
from autotriage.actions.fixes.results import read_results
from autotriage.actions.fixes.sandbox import Limits
from autotriage.analysis.git import run_git

_DONE = ".autotriage-setup-done"


@dataclass(frozen=True, slots=True)
class TestRun:
    """Per-test results of one run, and what the run looked like."""

    counts: RunCounts
    run: sandbox.Run


def default_command(paths: list[str], python: str) -> str | None:
    """A test command guessed from the files: pytest for Python, node's runner for JS."""
    if any(p.endswith(".py") and ("test_" in p or p.endswith("_test.py")) for p in paths):
        return f"{python} -m pytest -q -p no:cacheprovider --junitxml={{junit}}"
    if "package.json" in paths or any(".test." in p for p in paths):
        return "node --test --test-reporter=junit --test-reporter-destination={junit}"
    return None


def lock_hash(repo: Path, commit: str, paths: list[str], setup: str) -> str:
    """The setup cache key: the setup command and every manifest or lock file's blob id."""
    digest = hashlib.sha256(setup.encode())
    for path in sorted(p for p in paths if _MANIFESTS.search(p)):
        blob = run_git(["-C", str(repo), "rev-parse", f"{commit}:{path}"]).stdout
        digest.update(path.encode() + b"\0" + blob)
    return digest.hexdigest()[:24]


def prepare_setup(
    repo: Path, commit: str, paths: list[str], setup: str, cache: Path, limits: Limits
) -> tuple[Path | None, str]:
    """The setup directory for this lock hash (running the setup once), and a note."""
    key = lock_hash(repo, commit, paths, setup)
    target = cache / "setup" / key
    if (target / _DONE).exists():
        return target, f"setup reused from cache {key}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = run_git(["-C", str(repo), "archive", "--format=tar", commit]).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    before = set(os.listdir(target))
    home = cache / "home"
    home.mkdir(parents=True, exist_ok=True)
    done = sandbox.run(setup, target, sandbox.clean_env(os.environ, home), limits, network=True)
    if done.exit_code != 0 or done.timed_out:
        shutil.rmtree(target, ignore_errors=True)
        return None, f"setup command failed (exit {done.exit_code}): {done.output[-500:]}"
    created = sorted(set(os.listdir(target)) - before)
    (target / _DONE).write_text("\n".join(created))
    return target, f"setup ran once for lock hash {key}"


def link_setup(setup_dir: Path | None, tree: Path) -> None:
    """Link what the setup created into a fresh worktree."""
    if setup_dir is None:
        return
    for name in (setup_dir / _DONE).read_text().split():
        if not (tree / name).exists():
            (tree / name).symlink_to(setup_dir / name)


def run_tests(tree: Path, command: str, limits: Limits, setup_dir: Path | None) -> TestRun:
    """Run `command` in `tree` (``{junit}`` names a report path), sandboxed."""
    report = tree.parent / f"junit-{os.urandom(4).hex()}.xml"
    home = tree.parent / "home"
    home.mkdir(exist_ok=True)
    extra = {"FIX_SETUP_DIR": str(setup_dir)} if setup_dir else {}
    env = sandbox.clean_env(os.environ, home, extra)
    done = sandbox.run(command.replace("{junit}", str(report)), tree, env, limits)
    counts = read_results(report, done.output, done.exit_code)
    report.unlink(missing_ok=True)
    return TestRun(counts, done)
