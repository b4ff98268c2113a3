"""GitHub issues: the REST calls (`IssueOps`), the handlers' shared steps, and opening one.

The handlers follow the outbox's prepare/perform/record protocol (`actions.kinds`); the
link (group -> issue number) is written in the transaction that records the outcome.
`OpenIssue` never makes a duplicate: one open action per group (``github.open:<group>``),
reconciled before it creates and again after a create it could not confirm, by listing
the ``autotriage``-labelled issues for the group's footer token (search, which lags
writes, only as a fallback for issues that lost the label). A claimed action never waits
past the outbox lease: long rate-limit pauses come back as retryable results.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.signals import close_due, issue_signal, reopen_due
from autotriage.actions.kinds import ActionKind, ActionResult, Tracker, issue_context, open_key
from autotriage.actions.render import (
    FOOTER_PREFIX,
    IssueDraft,
    RenderOptions,
    footer_token,
    label_color,
    render_issue,
    shortened,
)
from autotriage.config_sections import GitHubSettings
from autotriage.errors import ActionFailed, Ambiguous, GitHubError
from autotriage.lifecycle import apply as apply_signal
from autotriage.models import utcnow
from autotriage.store.db import insert_ignore
from autotriage.store.tables import Action, Group, Link
from autotriage.understanding.scrub import ScrubPolicy

log = logging.getLogger(__name__)

TRACKER = Tracker.GITHUB
AUTOTRIAGE_LABEL = "autotriage"
DESCRIPTION = "Filed by autotriage"
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
        self.assignable: MutableMapping[str, bool] = TTLCache(ASSIGNABLE_KEPT, 3600.0)
        self._lock = threading.Lock()  # action threads share these caches

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
                # githubkit pastes it unquoted: "service:a/../../x" names another path.
                self.client.read(rest.issues.get_label, *self._repo, quote(name, safe=""))
            except GitHubError as exc:
                if exc.status != 404:
                    raise
                try:
                    self.client.write(
                        rest.issues.create_label,
                        *self._repo,
                        idempotent=False,
                        data={"name": name, "color": label_color(name), "description": DESCRIPTION},
                    )
                except GitHubError as again:
                    if again.status != 422:  # 422: created meanwhile by another replica
                        raise
            self.labels_known.add(name)

    def filter_assignable(self, logins: list[str]) -> list[str]:
        """Only logins GitHub will accept as assignees (others would fail the create)."""
        out = []
        for login in logins:
            with self._lock:
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
                with self._lock:
                    self.assignable[login] = known
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
        """Add or remove `login` (idempotent on GitHub); the assignees' logins after."""
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


# --- the handlers' shared steps, and opening an issue


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


def issue_result(issue: RemoteIssue, **data: Any) -> ActionResult:
    """Success, carrying the issue as GitHub now has it (for `record`)."""
    return ActionResult.ok(str(issue.number), issue.url, data={"issue": issue, **data})


def failed(exc: ActionFailed) -> ActionResult:
    """A raised failure as a result: retried later when it says so."""
    if exc.retryable:
        return ActionResult.retry(exc.reason, exc.retry_after)
    return ActionResult.fail(exc.reason)


class GitHubHandler(ABC):
    """The shared prepare/perform/record of the GitHub handlers (the module docstring)."""

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
            return failed(exc)

    @abstractmethod
    def _perform(self, prepared: Prepared) -> ActionResult:
        """The kind's own GitHub calls (each subclass defines them)."""

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None or not isinstance(result.data, dict):
            return
        issue: RemoteIssue | None = result.data.get("issue")
        if issue is None:
            return
        _write_link(session, action.group_id, issue)
        group = session.get(Group, action.group_id)
        # a person's status change is already applied: the issue follows the group
        if group is None or (action.params or {}).get("status"):
            return
        signal = None
        if issue.state == "closed" and not reopen_due(session, group.id):
            commit = result.data.get("fix_commit")
            signal = issue_signal(
                "closed", issue.state_reason, fixed_commit=str(commit) if commit else None
            )
        elif result.data.get("observed_reopen") and not close_due(session, group.id):
            signal = issue_signal("open", "reopened")
        if signal is not None:
            apply_signal(group, signal, utcnow())


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
    link.external_id, link.url, link.state = str(issue.number), issue.url, issue.state
    link.updated_at = now
    return link


class OpenIssue(GitHubHandler):
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
            return issue_result(found, reconciled=True)
        try:
            created = self.ops.create(
                draft, self.settings.github_milestone, self.settings.github_issue_type
            )
        except Ambiguous as exc:
            found = self.ops.find_by_token(prepared.token)
            if found is not None:
                return issue_result(found, reconciled=True)
            return ActionResult.retry(exc.reason)
        except GitHubError as exc:
            if exc.status != 422:
                raise
            # too long or an assignee refused: send the plainest issue that still links back
            lean = replace(draft, body=shortened(draft.body), assignees=[])
            created = self.ops.create(lean, None, None)
        return issue_result(created)
