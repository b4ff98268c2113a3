"""What a GitHub issue's state means for its group, as a lifecycle signal.

* closed as completed -> resolve (when it was closed; the release then current);
* closed as not planned (or as a duplicate) -> ignore: the group never reopens;
* reopened by a person -> reopen (autotriage's own reopenings change nothing);
* a state read back from GitHub is stale news while an action that changes it is still
  due (`reopen_due`, `close_due`).

No githubkit, so the webhook route can use it without loading the client.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.actions.kinds import Tracker, close_key_prefix, reopen_key_prefix
from autotriage.lifecycle import Signal, Status
from autotriage.store.tables import Action

SOURCE = "github"
TRACKER = Tracker.GITHUB


def issue_signal(
    state: str,
    state_reason: str | None,
    *,
    closed_at: datetime | None = None,
    by_person: bool = True,
    fixed_commit: str | None = None,
) -> Signal | None:
    """The signal an issue in `state` (``open``/``closed``) gives its group, if any."""
    if state == "closed":
        if state_reason in ("not_planned", "duplicate"):
            return Signal(Status.IGNORED, SOURCE)
        return Signal(Status.RESOLVED, SOURCE, at=closed_at, fixed_commit=fixed_commit)
    if state == "open" and by_person:
        return Signal(Status.OPEN, SOURCE)
    return None


def _due(session: Session, group_id: int, prefix: str) -> bool:
    waiting = session.scalars(
        select(Action.id).where(
            Action.group_id == group_id,
            Action.idempotency_key.startswith(prefix, autoescape=True),
            Action.status.in_(("pending", "running", "retryable")),
        )
    ).first()
    return waiting is not None


def reopen_due(session: Session, group_id: int) -> bool:
    """Whether a reopen (a regression's, an operator's) is still to run: then a closed
    issue is stale news."""
    return _due(session, group_id, reopen_key_prefix(TRACKER, group_id))


def close_due(session: Session, group_id: int) -> bool:
    """Whether an operator's close is still to run: then an open issue is stale news."""
    return _due(session, group_id, close_key_prefix(TRACKER, group_id))
