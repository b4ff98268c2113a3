"""The local tracker's side of a fix: what would be sent to GitHub, kept as a comment.

Like the local tracker's issues (`actions.tracker`), nothing leaves the machine: a fix
whose gates all held is recorded as the pull request autotriage would open (title,
branch, body); a suggestion as the same "Suggested fix (not validated)" text the GitHub
issue would get. Both land in the item's comments, in the action's own transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from autotriage.actions.fixes.model import FixAttempt, branch_name
from autotriage.actions.fixes.pr_text import pr_body, pr_title, suggestion
from autotriage.actions.fixes.propose import FixJob
from autotriage.actions.kinds import Tracker
from autotriage.models import utcnow
from autotriage.store.groups import tracker_item
from autotriage.understanding.scrub import ScrubPolicy


class LocalFixPublisher:
    """A `FixPublisher` that only records what it would do."""

    tracker = Tracker.LOCAL

    def __init__(self, policy: ScrubPolicy) -> None:
        self.policy = policy

    def publish(self, job: FixJob, attempt: FixAttempt, repo: Path) -> dict[str, Any]:
        del repo
        if attempt.outcome == "pr" and job.subject is not None:
            title = pr_title(job.subject, self.policy)
            body = pr_body(job.subject, attempt, job.analysis, None, job.issue_url, self.policy)
            branch = branch_name(job.token)
            intent = f"Would open a fix pull request from `{branch}`: **{title}**\n\n{body}"
            return {"branch": branch, "note": intent}
        suggested = suggestion(attempt, self.policy)
        return {"note": suggested} if suggested else {}

    def record(self, session: Session, job_group: int, data: dict[str, Any]) -> None:
        note = data.get("note")
        item = tracker_item(session, job_group)
        if not note or item is None:
            return
        now = utcnow()
        item.comments = [*item.comments, {"at": now.isoformat(), "body": str(note)}]
        item.updated_at = now
