"""Fix pull requests end to end: a corpus repository, its real trace, the fake GitHub, and a
real bare git remote on disk as the push target (``GITHUB_GIT_URL=file://...``).

A fixable error becomes an issue plus exactly one draft PR whose branch passes the
repository's tests; an unfixable one gets the issue and a suggested-fix comment only;
``kill -9`` right after the push still ends with one PR; merging the PR resolves the group
with the merge commit as its fix.
"""

from __future__ import annotations

import dataclasses
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent
from autotriage.pipeline import process_pending
from autotriage.reports import group_detail
from autotriage.sources.registry import detect
from autotriage.store import Store
from autotriage.store.tables import Action, Group
from autotriage.understanding.scrub import scrub_event
from bench.fixes_corpus.build import Case, build, corpus_test_command
from tests.fakes.github import FakeGitHub
from tests.support import LiveServer

BOT = "autotriage-bot@example.org"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(min_spacing=0.0, collaborators=("alice", "bob", "ada")).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == []


def _with_owners(case: Case) -> Case:
    """The case's repository with a CODEOWNERS file (one collaborator, one stranger)."""
    (case.repo / ".github").mkdir(exist_ok=True)
    (case.repo / ".github" / "CODEOWNERS").write_text("* @ada @mallory\n")
    env = {
        "GIT_AUTHOR_NAME": "Ada Dev",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Dev",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/nonexistent",
    }
    for args in (["add", "-A"], ["commit", "-q", "-m", "Add owners"]):
        subprocess.run(["git", *args], cwd=case.repo, env=env, check=True, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=case.repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    return dataclasses.replace(case, sha=sha)


def _remote(tmp_path: Path, case: Case, fake: FakeGitHub) -> Path:
    bare = tmp_path / "remotes" / fake.owner / f"{fake.repo}.git"
    bare.parent.mkdir(parents=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(case.repo), str(bare)], check=True, capture_output=True
    )
    fake.pulls.use_git(bare)
    return bare


def _env(tmp_path: Path, fake: FakeGitHub, case: Case) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "GITHUB_TOKEN": fake.token,
        "GITHUB_OWNER": fake.owner,
        "GITHUB_REPO": fake.repo,
        "GITHUB_API_URL": fake.url,
        "GITHUB_GIT_URL": f"file://{tmp_path / 'remotes'}",
        "GITHUB_MUTATION_INTERVAL": "0",
        "GITHUB_TIMEOUT": "5",
        "AUTOTRIAGE_REPO_CACHE_DIR": str(tmp_path / "mirrors"),
        "PR_ENABLED": "true",
        "FIX_TEST_COMMAND": corpus_test_command(case.lang),
        "FIX_CACHE_DIR": str(tmp_path / "fix-cache"),
        "FIX_BOT_NAME": "autotriage-bot",
        "FIX_BOT_EMAIL": BOT,
    }


def _event(case: Case) -> ErrorEvent:
    body = case.trace.encode()
    [event] = detect(body).parse(body, {})  # the plain-text source
    # the release names the deployed commit, so the analysis reads exactly that code
    return scrub_event(event).model_copy(update={"release": case.sha, "service": "shop"})


def _drain(store: Store, settings: Settings) -> None:
    handlers = build_handlers(settings)
    for _ in range(40):
        if not (process_pending(store, settings.pipeline) + run_due(store, handlers)):
            return
        time.sleep(0.05)  # a fix waiting for its issue retries after a short pause


def _run(
    tmp_path: Path, fake: FakeGitHub, name: str, make: Callable[..., Settings]
) -> tuple[Case, Path, Store, Settings]:
    case = _with_owners(build(name, tmp_path / "cases"))
    bare = _remote(tmp_path, case, fake)
    settings = make(**{k: v for k, v in _env(tmp_path, fake, case).items() if v})
    store = Store(settings.database_url)
    store.migrate()
    Intake(store).accept("text", [_event(case)])
    _drain(store, settings)
    return case, bare, store, settings


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _branch_passes_tests(tmp_path: Path, bare: Path, branch: str, lang: str) -> bool:
    tree = tmp_path / "check"
    subprocess.run(
        ["git", "clone", "-q", "-b", branch, str(bare), str(tree)], check=True, capture_output=True
    )
    command = corpus_test_command(lang).replace("{junit}", str(tmp_path / "junit.xml"))
    done = subprocess.run(command, shell=True, cwd=tree, capture_output=True, check=False)  # noqa: S602
    return done.returncode == 0


def test_a_fixable_error_gets_an_issue_and_one_draft_pr(
    tmp_path: Path, fake: FakeGitHub, make_settings: Callable[..., Settings]
) -> None:
    case, bare, store, settings = _run(tmp_path, fake, "py_attr_instance", make_settings)
    [issue_number] = list(fake.issues.items)
    [(number, pull)] = list(fake.pulls.pulls.items())
    branch = pull["head"]
    assert branch.startswith("autotriage/fix-") and len(branch) > len("autotriage/fix-")
    assert pull["draft"] is True and pull["base"] == "main" and pull["state"] == "open"
    assert pull["title"] == "fix: AttributeError in app.py:8"
    body = pull["body"]
    assert f"Fixes #{issue_number}" in body
    assert "python-name" in body and "Root cause" in body
    assert "Before the patch: 0 passed, 1 failed" in body
    assert "After the patch: 1 passed, 0 failed" in body
    assert "tests.test_app::test_checkout" in body
    assert "Isolation:" in body and "## Confidence:" in body
    assert sorted(pull["labels"]) == ["autotriage", "autotriage:fix"]
    assert pull["reviewers"] == ["ada"]  # a CODEOWNERS user; mallory is no collaborator
    # one commit, by the bot, on the analysed commit; main untouched
    assert _git(bare, "rev-list", "--count", f"{case.sha}..{branch}") == "1"
    assert _git(bare, "log", "-1", "--format=%ae %ce", branch) == f"{BOT} {BOT}"
    assert _git(bare, "rev-parse", f"{branch}^") == case.sha
    assert _git(bare, "rev-parse", "main") == case.sha
    assert _branch_passes_tests(tmp_path, bare, branch, case.lang)
    comments = fake.issues.items[issue_number].comments
    assert [c for c in comments if f"/pull/{number}" in c["body"]], comments
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        detail: dict[str, Any] = group_detail(session, group)
    fix = detail["fix_attempt"]
    assert fix["outcome"] == "pr" and fix["fixer"] == "python-name"
    assert fix["pull_request"]["number"] == number and fix["branch"] == branch
    assert fix["evidence"]["flipped"] == ["tests.test_app::test_checkout"]
    # merging the PR closes the issue on GitHub; a sync records the merge commit as the fix
    merged = fake.pulls.merge(number)
    assert fake.issues.items[issue_number].state == "closed"
    with store.transaction() as session:
        from autotriage.actions.kinds import ActionKind, PlannedAction, sync_poll_key
        from autotriage.actions.outbox import enqueue
        from autotriage.models import utcnow

        enqueue(
            session,
            PlannedAction(ActionKind.GITHUB_SYNC, sync_poll_key(group.id, 1), group.id),
            utcnow(),
        )
    _drain(store, settings)
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        assert (group.status, group.fixed_commit) == ("resolved", merged)


def test_an_unfixable_error_gets_the_issue_and_a_suggestion_only(
    tmp_path: Path, fake: FakeGitHub, make_settings: Callable[..., Settings]
) -> None:
    _, bare, store, _ = _run(tmp_path, fake, "py_wrong_suggestion", make_settings)
    assert fake.pulls.pulls == {}
    assert "autotriage/fix-" not in _git(bare, "for-each-ref", "--format=%(refname)")
    [issue] = fake.issues.items.values()
    [comment] = [c for c in issue.comments if "Suggested fix (not validated)" in c["body"]]
    text = comment["body"]
    assert "```diff\n" in text and "\n-" in text and "\n+" in text
    assert "Gate that failed: **tests**" in text
    assert "Test output (excerpt):" in text
    with store.reading() as session:
        fix = group_detail(session, session.scalars(select(Group)).one())["fix_attempt"]
    assert fix["outcome"] == "suggest" and fix["failed_gate"] == "tests"
    assert fix["pull_request"] is None


def _kill_hook(bare: Path, pid_file: Path) -> None:
    hook = bare / "hooks" / "post-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f'if [ -f "{pid_file}" ]; then pid=$(cat "{pid_file}"); rm -f "{pid_file}"; '
        'kill -9 "$pid"; fi\n'
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _wait(check: Callable[[], bool], timeout: float, what: str, server: LiveServer) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {timeout}s:\n{server.log()[-3000:]}")


def test_kill_9_between_the_push_and_the_pr_create_still_opens_one_pr(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    case = build("py_name_local", tmp_path / "cases")
    bare = _remote(tmp_path, case, fake)
    env = {k: v for k, v in _env(tmp_path, fake, case).items() if v}
    env.update({"AUTOTRIAGE_ACTION_LEASE_SECONDS": "1", "WEBHOOK_SECRET": "k"})
    store = Store(env["DATABASE_URL"])
    store.migrate()
    Intake(store).accept("text", [_event(case)])
    pid_file = tmp_path / "kill.pid"
    _kill_hook(bare, pid_file)
    first = LiveServer(env, tmp_path).start()
    pid_file.write_text(str(first.process.pid if first.process else 0))
    try:
        _wait(
            lambda: first.process is not None and first.process.poll() is not None,
            120,
            "the kill after the push",
            first,
        )
    finally:
        first.kill()
    assert first.process is not None and first.process.returncode == -9
    assert "autotriage/fix-" in _git(bare, "for-each-ref", "--format=%(refname)")
    assert fake.pulls.pulls == {}  # pushed, but the PR was never created
    with LiveServer(env, tmp_path) as second:
        _wait(lambda: len(fake.pulls.pulls) == 1 and _fix_done(store), 120, "the PR", second)
    assert len(fake.pulls.pulls) == 1
    assert fake.stats.by_route["POST /repos/{owner}/{repo}/pulls"] == 1
    [pull] = fake.pulls.pulls.values()
    assert _git(bare, "rev-list", "--count", f"{case.sha}..{pull['head']}") == "1"


def _fix_done(store: Store) -> bool:
    with store.reading() as session:
        status = session.scalars(select(Action.status).where(Action.kind == "fix.propose")).first()
    return status == "ok"
