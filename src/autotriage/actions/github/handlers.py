"""The GitHub handlers: ``github.open``/``update``/``comment``/``assign``/``sync``.

Each follows the outbox's prepare/perform/record protocol (`autotriage.actions.kinds`):
`prepare` renders the issue and reads the group's link in a read transaction, `perform`
talks to GitHub with no transaction open, and `record` writes the link (group ->
issue number) in the transaction that stores the action's outcome.

Never a duplicate: the open action's idempotency key (``github.open:<group>``) makes one
row per group, one worker claims it, and `perform` reconciles (lists labelled issues
for the footer token) before it creates, and again after a create it could not confirm.
A claimed action never waits past the outbox lease: long rate-limit pauses come back as
retryable results instead.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps, RemoteIssue
from autotriage.actions.github.signals import issue_signal
from autotriage.actions.kinds import (
    ActionHandler,
    ActionKind,
    ActionResult,
    Tracker,
    close_key_prefix,
    issue_context,
    open_key,
    reopen_key_prefix,
)
from autotriage.actions.render import IssueDraft, RenderOptions, footer_token, render_issue
from autotriage.config_sections import GitHubSettings
from autotriage.errors import ActionFailed, Ambiguous, GitHubError
from autotriage.lifecycle import apply as apply_signal
from autotriage.models import utcnow
from autotriage.store.db import insert_ignore
from autotriage.store.tables import Action, Group, Link
from autotriage.understanding.scrub import ScrubPolicy, scrub_text

log = logging.getLogger(__name__)

TRACKER = Tracker.GITHUB

WAIT_FOR_OPEN = 5.0
SHORT_BODY = 30_000


@dataclass(frozen=True, slots=True)
class Prepared:
    """What `perform` needs, read before any network call."""

    key: str
    attempts: int
    group_id: int
    token: str
    draft: IssueDraft
    number: int | None
    open_pending: bool
    params: dict[str, Any] = field(default_factory=dict)
    group_status: str = "open"


def _marker(key: str) -> str:
    return f"<!-- autotriage-action:{hashlib.sha256(key.encode()).hexdigest()[:16]} -->"


def _ok(issue: RemoteIssue, **data: Any) -> ActionResult:
    return ActionResult.ok(str(issue.number), issue.url, data={"issue": issue, **data})


def _failed(exc: ActionFailed) -> ActionResult:
    if exc.retryable:
        return ActionResult.retry(exc.reason, exc.retry_after)
    return ActionResult.fail(exc.reason)


class _GitHubHandler(ABC):
    kind: str = ""

    def __init__(self, ops: IssueOps, settings: GitHubSettings, policy: ScrubPolicy) -> None:
        self.ops = ops
        self.settings = settings
        self.options = RenderOptions(
            assign_owners=settings.github_assign_owners,
            mention_teams=settings.github_mention_teams,
            assign_commit_author=settings.github_assign_commit_author,
            scrub=policy,
        )

    def prepare(self, session: Session, action: Action) -> Prepared | None:
        context = issue_context(session, action.group_id)
        if context is None or action.group_id is None:
            return None
        link = session.scalars(
            select(Link).where(Link.group_id == action.group_id, Link.tracker == TRACKER)
        ).first()
        opener = session.scalars(
            select(Action.status).where(
                Action.idempotency_key == open_key(TRACKER, action.group_id)
            )
        ).first()
        return Prepared(
            key=action.idempotency_key,
            attempts=action.attempts,
            group_id=action.group_id,
            token=footer_token(context.group.fingerprint),
            draft=render_issue(context.group, context.event, context.analysis, self.options),
            number=int(link.external_id) if link is not None else None,
            open_pending=opener in ("pending", "running", "retryable"),
            params=dict(action.params or {}),
            group_status=str(getattr(session.get(Group, action.group_id), "status", "open")),
        )

    def perform(self, prepared: Prepared | None) -> ActionResult:
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        try:
            return self._perform(prepared)
        except ActionFailed as exc:
            return _failed(exc)

    @abstractmethod
    def _perform(self, prepared: Prepared) -> ActionResult:
        """The kind's own GitHub calls (each subclass defines them)."""

    def _need_issue(self, prepared: Prepared) -> int:
        if prepared.number is not None:
            return prepared.number
        if prepared.open_pending:
            raise ActionFailed(
                "the issue is not created yet", retryable=True, retry_after=WAIT_FOR_OPEN
            )
        raise ActionFailed("this group has no GitHub issue", retryable=False)

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None or not isinstance(result.data, dict):
            return
        issue: RemoteIssue | None = result.data.get("issue")
        if issue is None:
            return
        _write_link(session, action.group_id, issue)
        group = session.get(Group, action.group_id)
        if group is None:
            return
        if (action.params or {}).get("status"):
            return  # a person's status change, already applied: the issue follows the group
        signal = None
        if issue.state == "closed" and not _reopen_due(session, group.id):
            commit = result.data.get("fix_commit")
            signal = issue_signal(
                "closed", issue.state_reason, fixed_commit=str(commit) if commit else None
            )
        elif result.data.get("observed_reopen") and not _close_due(session, group.id):
            signal = issue_signal("open", "reopened")
        if signal is not None:
            apply_signal(group, signal, utcnow())


def _due(session: Session, group_id: int, prefix: str) -> bool:
    waiting = session.scalars(
        select(Action.id).where(
            Action.group_id == group_id,
            Action.idempotency_key.startswith(prefix, autoescape=True),
            Action.status.in_(("pending", "running", "retryable")),
        )
    ).first()
    return waiting is not None


def _reopen_due(session: Session, group_id: int) -> bool:
    """Whether a reopen (a regression's, an operator's) is still to run: then a closed
    issue is stale news."""
    return _due(session, group_id, reopen_key_prefix(TRACKER, group_id))


def _close_due(session: Session, group_id: int) -> bool:
    """Whether an operator's close is still to run: then an open issue is stale news."""
    return _due(session, group_id, close_key_prefix(TRACKER, group_id))


def _write_link(session: Session, group_id: int, issue: RemoteIssue) -> Link:
    now = utcnow()
    insert_ignore(
        session,
        Link.__table__,  # type: ignore[arg-type]
        group_id=group_id,
        tracker=TRACKER,
        external_id=str(issue.number),
        url=issue.url,
        state=issue.state,
        created_at=now,
        updated_at=now,
    )
    link = session.scalars(
        select(Link).where(Link.group_id == group_id, Link.tracker == TRACKER)
    ).one()
    link.external_id, link.url, link.state, link.updated_at = (
        str(issue.number),
        issue.url,
        issue.state,
        now,
    )
    return link


class OpenIssue(_GitHubHandler):
    """Open the group's issue, exactly once: reconcile, create, reconcile if unconfirmed."""

    kind: str = ActionKind.GITHUB_OPEN

    def _perform(self, prepared: Prepared) -> ActionResult:
        if prepared.number is not None:
            return ActionResult.ok(str(prepared.number), data={"linked": True})
        draft = prepared.draft
        self.ops.ensure_labels(draft.labels)
        # a retried create may follow one that landed unseen, long ago: search too then
        found = self.ops.find_by_token(prepared.token, search=prepared.attempts > 1)
        if found is not None:
            log.info("group %s already has issue #%s; linking it", prepared.group_id, found.number)
            return _ok(found, reconciled=True)
        try:
            created = self.ops.create(
                draft, self.settings.github_milestone, self.settings.github_issue_type
            )
        except Ambiguous as exc:
            found = self.ops.find_by_token(prepared.token)
            if found is not None:
                return _ok(found, reconciled=True)
            return ActionResult.retry(exc.reason)
        except GitHubError as exc:
            if exc.status != 422:
                raise
            # too long or an assignee refused: send the plainest issue that still links back
            lean = replace(draft, body=_shorten(draft.body), assignees=[])
            created = self.ops.create(lean, None, None)
        return _ok(created)


def _shorten(body: str) -> str:
    head, _, footer = body.rpartition("\n\n")
    return f"{head[:SHORT_BODY]}\n\n…(shortened)\n\n{footer}"


class UpdateIssue(_GitHubHandler):
    """Refresh the issue's summary (counts, last seen); notice a state change made on GitHub."""

    kind: str = ActionKind.GITHUB_UPDATE

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = self._need_issue(prepared)
        current = self.ops.get(number)
        draft = prepared.draft
        if current.body != draft.body or current.title != draft.title:
            current = self.ops.edit(number, title=draft.title, body=draft.body)
        return _ok(current)


class CommentIssue(_GitHubHandler):
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
        number = self._need_issue(prepared)
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
            return _ok(issue or self.ops.get(number))
        text = scrub_text(str(prepared.params.get("body", "")), self.options.scrub)
        try:
            self.ops.comment(number, f"{text}\n\n{marker}")
        except Ambiguous as exc:
            if self.ops.has_comment(number, marker):
                return _ok(issue or self.ops.get(number))
            return ActionResult.retry(exc.reason)
        return ActionResult.ok(str(number), data={"issue": issue} if issue else None)


class AssignIssue(_GitHubHandler):
    """Assign the issue to the operator who took the group from the console, or unassign it.

    The result carries no issue, so `record` neither relinks nor reads a state change.
    """

    kind: str = ActionKind.GITHUB_ASSIGN

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = self._need_issue(prepared)
        login = str(prepared.params.get("login", ""))
        assign = bool(prepared.params.get("assign"))
        assignees = self.ops.set_assignee(number, login, assign=assign)
        if assign and login not in assignees:
            # GitHub silently drops a login without push access; say so, don't retry
            return ActionResult.fail(f"GitHub did not assign {login}: no push access?")
        return ActionResult.ok(str(number))


class SyncIssue(_GitHubHandler):
    """Read the linked issue's state (after a webhook, or to poll): resolve, ignore, open."""

    kind: str = ActionKind.GITHUB_SYNC

    def _perform(self, prepared: Prepared) -> ActionResult:
        number = self._need_issue(prepared)
        issue = self.ops.get(number)
        commit = self.ops.closing_commit(number) if issue.state == "closed" else None
        return _ok(issue, fix_commit=commit, observed_reopen=issue.state == "open")


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
