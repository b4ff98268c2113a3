"""Issue operations on top of the client: labels, assignees, reconcile, create, edit, comment.

Reconciliation is what makes a create safe to retry: before creating, list the
repository's issues carrying the ``autotriage`` label (the list is consistent at once,
unlike search, which lags writes by seconds) and look for this group's footer token.
Search is only a fallback for issues that lost the label.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.render import FOOTER_PREFIX, IssueDraft, label_color
from autotriage.bounded import BoundedCache
from autotriage.errors import GitHubError

log = logging.getLogger(__name__)

AUTOTRIAGE_LABEL = "autotriage"
LIST_PAGES = 20
ASSIGNABLE_KEPT = 1024


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    """The facts about a GitHub issue that autotriage keeps."""

    number: int
    url: str
    state: str
    state_reason: str | None
    body: str
    title: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteIssue:
        """From the REST ``issue`` object."""
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or ""),
            state=str(data.get("state") or "open"),
            state_reason=data.get("state_reason"),
            body=str(data.get("body") or ""),
            title=str(data.get("title") or ""),
        )


class IssueOps:
    """What the handlers do on GitHub, with per-process caches of labels and assignees."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client
        self.labels_known: set[str] = set()
        # GitHub's answer per login; people join and leave, so it is asked again hourly.
        self.assignable: BoundedCache[str, bool] = BoundedCache(ASSIGNABLE_KEPT, 3600.0)

    @property
    def _repo(self) -> tuple[str, str]:
        return self.client.owner, self.client.repo

    def ensure_labels(self, names: list[str]) -> None:
        """Create missing labels with autotriage's colours (once per process per label)."""
        rest = self.client.rest
        for name in names:
            if name in self.labels_known:
                continue
            try:
                self.client.read(rest.issues.get_label, *self._repo, name)
            except GitHubError as exc:
                if exc.status != 404:
                    raise
                try:
                    self.client.write(
                        rest.issues.create_label,
                        *self._repo,
                        idempotent=False,
                        data={
                            "name": name,
                            "color": label_color(name),
                            "description": "Filed by autotriage"[:100],
                        },
                    )
                except GitHubError as again:
                    if again.status != 422:  # 422: created meanwhile by another replica
                        raise
            self.labels_known.add(name)

    def filter_assignable(self, logins: list[str]) -> list[str]:
        """Only logins GitHub will accept as assignees (others would fail the create)."""
        out = []
        for login in logins:
            known = self.assignable.get(login)
            if known is None:
                try:
                    self.client.read(
                        self.client.rest.issues.check_user_can_be_assigned, *self._repo, login
                    )
                    known = True
                except GitHubError as exc:
                    if exc.status != 404:
                        raise
                    known = False
                self.assignable.put(login, known)
            if known:
                out.append(login)
        return out

    def find_by_token(self, token: str, *, search: bool = False) -> RemoteIssue | None:
        """The labelled issue whose body carries ``autotriage:<token>``, open or closed.

        Search (which lags writes, and has its own low limit) is asked only when `search`
        is set or the labelled list was longer than the pages read.
        """
        marker = f"{FOOTER_PREFIX}{token}"
        rest = self.client.rest
        truncated = True
        for page in range(1, LIST_PAGES + 1):
            rows = self.client.read(
                rest.issues.list_for_repo,
                *self._repo,
                labels=AUTOTRIAGE_LABEL,
                state="all",
                per_page=100,
                page=page,
                sort="created",
                direction="desc",
                cache_key=f"list:{page}",
            )
            for row in rows or []:
                if marker in str(row.get("body") or "") and "pull_request" not in row:
                    return RemoteIssue.from_json(row)
            if not rows or len(rows) < 100:
                truncated = False
                break
        if not (search or truncated):
            return None
        found = self.client.read(
            rest.search.issues_and_pull_requests,
            q=f'repo:{self.client.owner}/{self.client.repo} is:issue "{marker}"',
        )
        for row in (found or {}).get("items", []):
            if marker in str(row.get("body") or ""):
                return RemoteIssue.from_json(row)
        return None

    def create(
        self, draft: IssueDraft, milestone: int | None, issue_type: str | None
    ) -> RemoteIssue:
        """POST the issue; one attempt (a failure may have landed: the caller reconciles)."""
        data: dict[str, Any] = {"title": draft.title, "body": draft.body, "labels": draft.labels}
        assignees = self.filter_assignable(draft.assignees)
        if assignees:
            data["assignees"] = assignees
        if milestone is not None:
            data["milestone"] = milestone
        if issue_type:
            data["type"] = issue_type
        created = self.client.write(
            self.client.rest.issues.create, *self._repo, data=data, idempotent=False
        )
        return RemoteIssue.from_json(created)

    def get(self, number: int) -> RemoteIssue:
        """The issue now (conditional GET)."""
        data = self.client.read(
            self.client.rest.issues.get, *self._repo, number, cache_key=f"issue:{number}"
        )
        return RemoteIssue.from_json(data)

    def edit(self, number: int, **fields: Any) -> RemoteIssue:
        """PATCH the issue (idempotent, so retried in place)."""
        data = self.client.write(
            self.client.rest.issues.update, *self._repo, number, data=fields, idempotent=True
        )
        return RemoteIssue.from_json(data)

    def set_assignee(self, number: int, login: str, *, assign: bool) -> list[str]:
        """Add `login` to the issue's assignees, or remove it (both idempotent on GitHub);
        the assignees' logins after."""
        issues = self.client.rest.issues
        call = issues.add_assignees if assign else issues.remove_assignees
        data = self.client.write(
            call, *self._repo, number, data={"assignees": [login]}, idempotent=True
        )
        return [str(a.get("login")) for a in (data or {}).get("assignees") or []]

    def has_comment(self, number: int, marker: str) -> bool:
        """Whether a comment carrying `marker` exists (after an unconfirmed post)."""
        rows = self.client.read(
            self.client.rest.issues.list_comments, *self._repo, number, per_page=100
        )
        return any(marker in str(row.get("body") or "") for row in rows or [])

    def comment(self, number: int, body: str) -> None:
        """POST a comment; one attempt (the caller checks for it before trying again)."""
        self.client.write(
            self.client.rest.issues.create_comment,
            *self._repo,
            number,
            data={"body": body},
            idempotent=False,
        )

    def closing_commit(self, number: int) -> str | None:
        """The commit that closed the issue (a merged PR or a ``Fixes #n`` commit), if any."""
        rows = self.client.read(
            self.client.rest.issues.list_events, *self._repo, number, per_page=100
        )
        for row in reversed(rows or []):
            if row.get("event") == "closed" and row.get("commit_id"):
                return str(row["commit_id"])
        return None
