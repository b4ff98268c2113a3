"""The local tracker: the embedded default when GitHub is not configured.

It stores exactly the issue title and Markdown body that would be sent to GitHub, so a
new user sees what autotriage would do before giving it write access to anything. Its
effects commit in the same transaction as the action's outcome: exactly once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionHandler, ActionKind, ActionResult, Tracker, issue_context
from autotriage.actions.render import IssueDraft, RenderOptions, render_issue
from autotriage.models import utcnow
from autotriage.store.groups import tracker_item
from autotriage.store.tables import Action, Group, Link, TrackerItem
from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_text

TRACKER = "local"


def _link(session: Session, group_id: int, item: TrackerItem) -> None:
    link = session.query(Link).filter_by(group_id=group_id, tracker=TRACKER).one_or_none()
    now = utcnow()
    if link is None:
        session.add(
            Link(
                group_id=group_id,
                tracker=TRACKER,
                external_id=str(item.id),
                url=f"/api/groups/{group_id}",
                state=item.state,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        link.state = item.state
        link.updated_at = now


class _NotOpenYet:
    """`prepare`'s answer for an update or comment whose item's open has not finished."""


NOT_OPEN_YET = _NotOpenYet()
OPEN_RETRY_SECONDS = 2.0


def _open_unfinished(session: Session, group_id: int | None) -> bool:
    """Whether `group_id` has no item yet but an open action that may still make it."""
    if group_id is None or tracker_item(session, group_id) is not None:
        return False
    waiting = session.scalar(
        select(func.count())
        .select_from(Action)
        .where(
            Action.group_id == group_id,
            Action.kind == ActionKind.TRACKER_OPEN,
            Action.status.in_(("pending", "retryable", "running")),
        )
    )
    return bool(waiting)


class _TrackerHandler:
    """Shared prepare/perform: render the issue; the local tracker needs no network."""

    kind: str = ""
    needs_item = False
    """An update or a comment: it waits (retries) while the group's open is unfinished."""

    def __init__(self, policy: ScrubPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy

    def prepare(self, session: Session, action: Action) -> IssueDraft | _NotOpenYet | None:
        if self.needs_item and _open_unfinished(session, action.group_id):
            return NOT_OPEN_YET  # workers run actions side by side: the open may be running
        context = issue_context(session, action.group_id)
        if context is None:
            return None
        options = RenderOptions(scrub=self.policy)
        return render_issue(context.group, context.event, context.analysis, options)

    def perform(self, prepared: IssueDraft | _NotOpenYet | None) -> ActionResult:
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        if isinstance(prepared, _NotOpenYet):
            return ActionResult.retry("the issue is not open yet", OPEN_RETRY_SECONDS)
        return ActionResult.ok(data=prepared)


class OpenIssue(_TrackerHandler):
    """Open (or refresh) the local tracker item of a new group."""

    kind: str = ActionKind.TRACKER_OPEN

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None:
            return
        draft: IssueDraft = result.data
        now = utcnow()
        item = tracker_item(session, action.group_id)
        if item is None:
            item = TrackerItem(
                group_id=action.group_id,
                title=draft.title,
                body=draft.body,
                labels=draft.labels,
                state="open",
                comments=[],
                created_at=now,
                updated_at=now,
            )
            session.add(item)
            session.flush()
        action.external_id = str(item.id)
        action.external_url = f"/api/groups/{action.group_id}"
        _link(session, action.group_id, item)


class UpdateIssue(_TrackerHandler):
    """Refresh the body (counts, last seen) of an existing item."""

    kind: str = ActionKind.TRACKER_UPDATE
    needs_item = True

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None:
            return
        item = tracker_item(session, action.group_id)
        if item is None:
            action.status, action.detail = "permanent", "no tracker item to update"
            return
        draft: IssueDraft = result.data
        item.title, item.body, item.updated_at = draft.title, draft.body, utcnow()
        action.external_id = str(item.id)


class CommentIssue(_TrackerHandler):
    """Add a comment (a milestone, a spike, a regression); reopen or close when asked to."""

    kind: str = ActionKind.TRACKER_COMMENT
    needs_item = True

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None:
            return
        item = tracker_item(session, action.group_id)
        if item is None:
            action.status, action.detail = "permanent", "no tracker item to comment on"
            return
        draft: IssueDraft = result.data
        params: dict[str, Any] = action.params or {}
        group = session.get(Group, action.group_id)
        if params.get("status") and (group is None or group.status != params["status"]):
            # a later status change overtook this one: its own action speaks for it
            action.detail = f"superseded: the group is {group.status if group else 'gone'} now"
            return
        now = utcnow()
        item.comments = [
            *item.comments,
            {"at": now.isoformat(), "body": scrub_text(str(params.get("body", "")), self.policy)},
        ]
        item.body, item.updated_at = draft.body, now
        if params.get("reopen"):
            item.state, item.state_reason = "open", "reopened"
        elif params.get("close"):
            item.state, item.state_reason = "closed", str(params["close"])
        action.external_id = str(item.id)
        _link(session, action.group_id, item)


class LocalTracker:
    """The embedded tracker, an `IssueTracker`: issues live in autotriage's database."""

    name = Tracker.LOCAL

    def __init__(self, policy: ScrubPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy

    def handlers(self) -> list[ActionHandler]:
        """The local tracker's handlers, scrubbing what they store by the policy."""
        return [OpenIssue(self.policy), UpdateIssue(self.policy), CommentIssue(self.policy)]


def tracker_handlers(policy: ScrubPolicy) -> list[ActionHandler]:
    """The local tracker's handlers, scrubbing what they store by `policy`."""
    return LocalTracker(policy).handlers()
