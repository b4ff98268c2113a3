"""The GitHub handlers after the open: ``github.update``/``comment``/``assign``/``sync``,
and `GitHubTracker`, which builds all five on one client (one mutation queue).

They share `issues.GitHubHandler`'s prepare/perform/record; each needs the issue the
open action made (`need_issue`), and waits for it while that action is still due.
"""

from __future__ import annotations

import hashlib

import httpx

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import (
    GitHubHandler,
    IssueOps,
    OpenIssue,
    Prepared,
    RemoteIssue,
    issue_result,
)
from autotriage.actions.kinds import ActionHandler, ActionKind, ActionResult, Tracker
from autotriage.config_sections import GitHubSettings
from autotriage.errors import ActionFailed, Ambiguous
from autotriage.understanding.scrub import ScrubPolicy, scrub_text

WAIT_FOR_OPEN = 5.0


def _marker(key: str) -> str:
    return f"<!-- autotriage-action:{hashlib.sha256(key.encode()).hexdigest()[:16]} -->"


def need_issue(prepared: Prepared) -> int:
    """The linked issue's number; a retryable failure while the open action is still due."""
    if prepared.number is not None:
        return prepared.number
    if prepared.open_pending:
        raise ActionFailed(
            "the issue is not created yet", retryable=True, retry_after=WAIT_FOR_OPEN
        )
    raise ActionFailed("this group has no GitHub issue", retryable=False)


class UpdateIssue(GitHubHandler):
    """Refresh the issue's summary (counts, last seen); notice a state change made on GitHub."""

    kind: str = ActionKind.GITHUB_UPDATE

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = need_issue(prepared)
        current = self.ops.get(number)
        draft = prepared.draft
        if current.body != draft.body or current.title != draft.title:
            current = self.ops.edit(number, title=draft.title, body=draft.body)
        return issue_result(current)


class CommentIssue(GitHubHandler):
    """Comment (milestone, spike, new release, regression); reopen or close when asked to.

    The state change comes first: PATCHing a state is idempotent, so a retry after a
    comment that landed unseen still leaves the issue in the state asked for.
    """

    kind: str = ActionKind.GITHUB_COMMENT

    def _perform(self, prepared: Prepared) -> ActionResult:
        wanted = prepared.params.get("status")
        if wanted and wanted != prepared.group_status:
            # a later status change overtook this one: its own action speaks for it
            return ActionResult.ok(detail=f"superseded: the group is {prepared.group_status} now")
        number = need_issue(prepared)
        marker = _marker(prepared.key)
        issue: RemoteIssue | None = None
        if prepared.params.get("reopen"):
            issue = self.ops.edit(
                number, state="open", state_reason="reopened", body=prepared.draft.body
            )
        elif prepared.params.get("close"):
            issue = self.ops.edit(
                number,
                state="closed",
                state_reason=str(prepared.params["close"]),
                body=prepared.draft.body,
            )
        if prepared.attempts > 1 and self.ops.has_comment(number, marker):
            return issue_result(issue or self.ops.get(number))
        text = scrub_text(str(prepared.params.get("body", "")), self.options.scrub)
        try:
            self.ops.comment(number, f"{text}\n\n{marker}")
        except Ambiguous as exc:
            if self.ops.has_comment(number, marker):
                return issue_result(issue or self.ops.get(number))
            return ActionResult.retry(exc.reason)
        return ActionResult.ok(str(number), data={"issue": issue} if issue else None)


class AssignIssue(GitHubHandler):
    """Assign the issue to the operator who took the group from the console, or unassign it.

    The result carries no issue, so `record` neither relinks nor reads a state change.
    """

    kind: str = ActionKind.GITHUB_ASSIGN

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = need_issue(prepared)
        login = str(prepared.params.get("login", ""))
        assign = bool(prepared.params.get("assign"))
        assignees = self.ops.set_assignee(number, login, assign=assign)
        if assign and login not in assignees:
            # GitHub silently drops a login without push access; say so, don't retry
            return ActionResult.fail(f"GitHub did not assign {login}: no push access?")
        return ActionResult.ok(str(number))


class SyncIssue(GitHubHandler):
    """Read the linked issue's state (after a webhook, or to poll): resolve, ignore, open."""

    kind: str = ActionKind.GITHUB_SYNC

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = need_issue(prepared)
        issue = self.ops.get(number)
        commit = self.ops.closing_commit(number) if issue.state == "closed" else None
        return issue_result(issue, fix_commit=commit, observed_reopen=issue.state == "open")


class GitHubTracker:
    """GitHub issues, an `IssueTracker`: its handlers share one client (one mutation queue)."""

    name = Tracker.GITHUB

    def __init__(
        self,
        settings: GitHubSettings,
        client: GitHubClient | None = None,
        *,
        policy: ScrubPolicy,
        database_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """The tracker for the ``github`` section; on PostgreSQL at `database_url` its
        client's mutation gate is shared by every replica."""
        self.settings = settings
        self.policy = policy
        if client is None:
            client = GitHubClient(settings, database_url=database_url, transport=transport)
        self.ops = IssueOps(client)

    def handlers(self) -> list[ActionHandler]:
        """Open, update, comment (and reopen), assign, sync."""
        return [
            OpenIssue(self.ops, self.settings, self.policy),
            UpdateIssue(self.ops, self.settings, self.policy),
            CommentIssue(self.ops, self.settings, self.policy),
            AssignIssue(self.ops, self.settings, self.policy),
            SyncIssue(self.ops, self.settings, self.policy),
        ]
