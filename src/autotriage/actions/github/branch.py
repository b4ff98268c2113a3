"""The fix branch: one commit by the bot on the analysed commit, pushed to the repository.

The push goes to the configured clone URL (``GITHUB_GIT_URL``/``GITHUB_OWNER``/
``GITHUB_REPO``, as the mirror uses) with the token only in git's environment
(`autotriage.analysis.git.auth_env`). It never pushes to the default branch, and never
over a branch holding a commit the bot did not make: before replacing an existing
branch, every commit on it that the default branch lacks must be the bot's, and the push
is a ``--force-with-lease`` on the tip it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autotriage.actions.fixes import sandbox
from autotriage.actions.fixes.model import BRANCH_PREFIX
from autotriage.analysis.git import git_text, run_git
from autotriage.errors import ForeignCommits, GitError


@dataclass(frozen=True, slots=True)
class Bot:
    """Who the fix commit is by (``FIX_BOT_NAME``/``FIX_BOT_EMAIL``)."""

    name: str
    email: str


def commit_patch(repo: Path, base: str, diff: str, message: str, bot: Bot) -> str:
    """Commit `diff` on `base` as the bot in a throwaway worktree; return the commit id."""
    with sandbox.worktree(repo, base) as tree:
        diff_file = tree.parent / "fix.diff"
        diff_file.write_text(diff)
        run_git(["-C", str(tree), "apply", "--index", str(diff_file)])
        identity = [
            "-c",
            f"user.name={bot.name}",
            "-c",
            f"user.email={bot.email}",
            "-c",
            "commit.gpgsign=false",
        ]
        run_git(["-C", str(tree), *identity, "commit", "-q", "--no-verify", "-m", message])
        return run_git(["-C", str(tree), "rev-parse", "HEAD"]).stdout.decode().strip()


def remote_heads(repo: Path, url: str, token: str | None, branch: str) -> tuple[str, str | None]:
    """(default branch name, tip of `branch` or None) on the remote."""
    out = git_text(
        ["ls-remote", "--symref", url, "HEAD", f"refs/heads/{branch}"], git_dir=repo, token=token
    )
    default = "main"
    tip = None
    for line in out.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            default = line[5:].split("\t", 1)[0].removeprefix("refs/heads/")
        elif line.endswith(f"\trefs/heads/{branch}"):
            tip = line.split("\t", 1)[0]
    return default, tip


def _authors_beyond(
    repo: Path, url: str, token: str | None, tip: str, branch: str, default: str
) -> set[str]:
    """Author and committer e-mails of the commits on `tip` that `default` does not have."""
    run_git(
        ["fetch", "--quiet", "--no-tags", url, f"refs/heads/{default}", f"refs/heads/{branch}"],
        git_dir=repo,
        token=token,
    )
    base = git_text(["ls-remote", url, f"refs/heads/{default}"], git_dir=repo, token=token)
    default_sha = base.split("\t", 1)[0].strip()
    spec = [tip, f"^{default_sha}"] if default_sha else [tip]
    log = git_text(["log", "--format=%ae%n%ce", *spec], git_dir=repo)
    return {line.strip().lower() for line in log.splitlines() if line.strip()}


def push_branch(
    repo: Path, url: str, token: str | None, commit: str, branch: str, bot: Bot
) -> tuple[str, bool]:
    """Push `commit` to `branch`; return (the default branch, whether anything was pushed).

    Nothing is pushed when the branch already holds the same change (a retry after a
    crash); `ForeignCommits` when it holds someone else's work.
    """
    if not branch.startswith(BRANCH_PREFIX):
        raise GitError(f"refusing to push to {branch}: not an autotriage fix branch")
    default, tip = remote_heads(repo, url, token, branch)
    if branch == default:
        raise GitError("refusing to push to the default branch")
    lease = f"--force-with-lease=refs/heads/{branch}:{tip or ''}"
    if tip is not None:
        others = _authors_beyond(repo, url, token, tip, branch, default) - {bot.email.lower()}
        if others:
            raise ForeignCommits(
                f"branch {branch} has commits not made by {bot.name}; not pushing over them"
            )
        same = git_text(
            ["rev-parse", f"{tip}^{{tree}}", f"{tip}^", f"{commit}^{{tree}}", f"{commit}^"],
            git_dir=repo,
        ).split()
        if same[0] == same[2] and same[1] == same[3]:
            return default, False
    run_git(
        ["push", "--quiet", "--no-verify", lease, url, f"{commit}:refs/heads/{branch}"],
        git_dir=repo,
        token=token,
    )
    return default, True
