"""Publishing a fix on GitHub: the bot's branch and draft PR, or a suggestion on the issue.

* ``pr`` (every gate held): commit the patch on the analysed commit as the bot, push
  ``autotriage/fix-<token>`` (`branch`), open the group's one open fix PR (`pulls`),
  label it ``autotriage`` + ``autotriage:fix``, ask CODEOWNERS users and the suspect
  commit's author (when GitHub mapped them to a login) to review, and comment on the
  issue with a link to the PR.
* ``suggest`` (a gate failed): no branch, no PR; the issue gets a comment with the
  "Suggested fix (not validated)" section. A comment rather than a body section, because
  the issue body is re-rendered from the group on every update and would drop it.

Each comment carries a hidden marker, looked up before posting again, so a retried
action never comments twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from autotriage.actions.fixes.model import FixAttempt, branch_name
from autotriage.actions.fixes.pr_text import (
    FixSubject,
    pr_body,
    pr_comment,
    pr_title,
    suggestion,
)
from autotriage.actions.fixes.propose import FixJob
from autotriage.actions.github.branch import Bot, commit_patch, push_branch
from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps
from autotriage.actions.github.pulls import FIX_LABELS, PullOps
from autotriage.actions.kinds import Tracker
from autotriage.analysis.access import RepoAccess, configured_url
from autotriage.analysis.result import Analysis
from autotriage.config_sections import AnalysisSettings, FixSettings
from autotriage.errors import ActionFailed, Ambiguous, ForeignCommits
from autotriage.understanding.scrub import ScrubPolicy


def _marker(what: str) -> str:
    return f"<!-- autotriage-fix:{hashlib.sha256(what.encode()).hexdigest()[:16]} -->"


def reviewers(analysis: Analysis) -> list[str]:
    """CODEOWNERS users, then the suspect commit's author when mapped to a login."""
    logins = [
        d["name"].lstrip("@")
        for d in analysis.owner_details
        if d.get("kind") == "user" and d.get("name")
    ]
    suspect = analysis.suspect_commit
    if suspect is not None and suspect.login and suspect.login not in logins:
        logins.append(suspect.login)
    return logins


class GitHubFixPublisher:
    """A `FixPublisher` for GitHub, sharing the tracker's client (one mutation queue)."""

    tracker = Tracker.GITHUB

    def __init__(
        self, analysis: AnalysisSettings, fix: FixSettings, ops: IssueOps, policy: ScrubPolicy
    ) -> None:
        self.analysis = analysis  # the repository the branch is pushed to
        self.fix = fix
        self.issues = ops
        self.pulls = PullOps(ops.client, ops)
        self.policy = policy
        self.bot = Bot(fix.fix_bot_name, fix.fix_bot_email)

    @classmethod
    def build(
        cls,
        analysis: AnalysisSettings,
        fix: FixSettings,
        client: GitHubClient,
        policy: ScrubPolicy,
    ) -> GitHubFixPublisher:
        """A publisher on its own `IssueOps` over `client`."""
        return cls(analysis, fix, IssueOps(client), policy)

    def publish(self, job: FixJob, attempt: FixAttempt, repo: Path) -> dict[str, Any]:
        if attempt.outcome == "pr" and attempt.patch and attempt.commit and job.subject:
            return self._open_pull(job, attempt, job.subject, repo)
        text = suggestion(attempt, self.policy)
        if text is not None and job.issue_number is not None:
            self._comment_once(job.issue_number, text, _marker(job.key))
            return {"commented": True}
        return {}

    def _open_pull(
        self, job: FixJob, attempt: FixAttempt, subject: FixSubject, repo: Path
    ) -> dict[str, Any]:
        if attempt.patch is None or attempt.commit is None:
            return {}
        url = configured_url(self.analysis)
        if url is None:
            raise ActionFailed("GITHUB_OWNER/GITHUB_REPO are not set", retryable=False)
        token = RepoAccess(self.analysis, url).token
        title = pr_title(subject, self.policy)
        branch = branch_name(job.token)
        commit = commit_patch(repo, attempt.commit, attempt.patch.diff, title, self.bot)
        try:
            base, _ = push_branch(repo, url, token, commit, branch, self.bot)
        except ForeignCommits as exc:
            raise ActionFailed(str(exc), retryable=False) from None
        body = pr_body(subject, attempt, job.analysis, job.issue_number, job.issue_url, self.policy)
        try:
            pull = self.pulls.open(branch, base, title, body, draft=self.fix.fix_pr_draft)
        except Ambiguous as exc:
            raise ActionFailed(exc.reason, retryable=True) from None
        self.pulls.label(pull.number, FIX_LABELS)
        asked = self.pulls.request_reviewers(pull.number, reviewers(job.analysis))
        if job.issue_number is not None:
            self._comment_once(
                job.issue_number,
                pr_comment(pull.number, pull.url),
                _marker(branch + str(pull.number)),
            )
        return {"branch": branch, "pr_number": pull.number, "pr_url": pull.url, "reviewers": asked}

    def _comment_once(self, number: int, text: str, marker: str) -> None:
        if self.issues.has_comment(number, marker):
            return
        try:
            self.issues.comment(number, f"{text}\n\n{marker}")
        except Ambiguous as exc:
            if not self.issues.has_comment(number, marker):
                raise ActionFailed(exc.reason, retryable=True) from None

    def record(self, session: Session, job_group: int, data: dict[str, Any]) -> None:
        del session, job_group, data  # GitHub holds the effects; the attempt row is the handler's
