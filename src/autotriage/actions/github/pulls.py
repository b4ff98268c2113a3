"""Pull request operations: find a fix PR by its head branch, open it, label it, ask reviewers.

Opening is reconciled like issues: the head branch is the group's
(``autotriage/fix-<token>``), so before creating, and again after a create whose answer
was lost, ``GET /repos/{o}/{r}/pulls?head=owner:branch&state=all`` finds a PR opened
earlier (a crash between the push and the create, or a timeout after GitHub acted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps
from autotriage.errors import Ambiguous, GitHubError

log = logging.getLogger(__name__)

FIX_LABELS = ["autotriage", "autotriage:fix"]
MAX_REVIEWERS = 15


@dataclass(frozen=True, slots=True)
class RemotePull:
    """The facts about a pull request that autotriage keeps."""

    number: int
    url: str
    state: str
    merged: bool
    head: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemotePull:
        """From the REST ``pull-request`` or ``pull-request-simple`` object."""
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or ""),
            state=str(data.get("state") or "open"),
            merged=bool(data.get("merged_at")),
            head=str((data.get("head") or {}).get("ref") or ""),
        )


class PullOps:
    """What the fix handler does with pull requests, through the shared client."""

    def __init__(self, client: GitHubClient, issues: IssueOps) -> None:
        self.client = client
        self.issues = issues

    @property
    def _repo(self) -> tuple[str, str]:
        return self.client.owner, self.client.repo

    def find_open(self, branch: str) -> RemotePull | None:
        """The open pull request whose head is `branch` in this repository, if any."""
        rows = self.client.read(
            self.client.rest.pulls.list,
            *self._repo,
            head=f"{self.client.owner}:{branch}",
            state="all",
            per_page=100,
        )
        pulls = [RemotePull.from_json(row) for row in rows or []]
        return next((p for p in pulls if p.state == "open" and p.head == branch), None)

    def open(self, branch: str, base: str, title: str, body: str, *, draft: bool) -> RemotePull:
        """The branch's open PR: found, or created (reconciled when the answer is lost)."""
        found = self.find_open(branch)
        if found is not None:
            log.info("fix branch %s already has PR #%s", branch, found.number)
            return found
        data = {"title": title, "head": branch, "base": base, "body": body, "draft": draft}
        try:
            created = self.client.write(
                self.client.rest.pulls.create, *self._repo, data=data, idempotent=False
            )
        except Ambiguous:
            found = self.find_open(branch)
            if found is None:
                raise
            return found
        except GitHubError as exc:
            found = self.find_open(branch) if exc.status == 422 else None
            if found is None:
                raise
            return found
        return RemotePull.from_json(created)

    def label(self, number: int, labels: list[str]) -> None:
        """Add `labels` to the PR (the issues labels endpoint; adding is idempotent)."""
        self.issues.ensure_labels(labels)
        self.client.write(
            self.client.rest.issues.add_labels,
            *self._repo,
            number,
            data={"labels": labels},
            idempotent=True,
        )

    def request_reviewers(self, number: int, logins: list[str]) -> list[str]:
        """Ask the collaborators among `logins` to review; return who was asked."""
        wanted = self.issues.filter_assignable(logins)[:MAX_REVIEWERS]
        if not wanted:
            return []
        try:
            self.client.write(
                self.client.rest.pulls.request_reviewers,
                *self._repo,
                number,
                data={"reviewers": wanted},
                idempotent=True,
            )
        except GitHubError as exc:
            if exc.status != 422:  # e.g. the PR's author cannot review it: the PR stands
                raise
            log.info("GitHub refused reviewers %s for PR #%s: %s", wanted, number, exc)
            return []
        return wanted
