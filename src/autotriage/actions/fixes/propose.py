"""The ``fix.propose`` action: attempt a fix after analysis, then publish it or suggest it.

Planned by the analysis action's `record` when ``PR_ENABLED=true`` (one per group and
analysis: `kinds.fix_key`), so it runs after the issue's open action. It follows the
outbox protocol (`actions.kinds`): `prepare` reads the group, its latest event, its
analysis and its issue; `perform` runs the attempt (`attempt.attempt_fix`, tests in the
sandbox) and hands it to the tracker's `FixPublisher` (a GitHub pull request, or the
local tracker's record of one); `record` stores the attempt in ``fix_attempts`` with
the action's outcome. A retried action reruns the attempt; publishing is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.actions.fixes.attempt import attempt_fix, exception_text, locate
from autotriage.actions.fixes.model import FixAttempt
from autotriage.actions.fixes.pr_text import FixSubject
from autotriage.actions.fixes.settings import FixConfig
from autotriage.actions.kinds import ActionKind, ActionResult, Tracker, issue_context, open_key
from autotriage.actions.render import footer_token
from autotriage.analysis.access import RepoAccess
from autotriage.analysis.result import Analysis
from autotriage.config_sections import AnalysisSettings, FixSettings
from autotriage.errors import ActionFailed, GitError
from autotriage.models import ErrorEvent, utcnow
from autotriage.store.fixes import save_attempt
from autotriage.store.tables import Action, Link

WAIT_FOR_ISSUE = 5.0
_LINK_TRACKER = {Tracker.GITHUB: "github", Tracker.LOCAL: "local"}


@dataclass(frozen=True, slots=True)
class FixJob:
    """What `perform` needs, read before anything runs."""

    key: str
    group_id: int
    token: str
    """The group's footer token: names its fix branch."""
    event: ErrorEvent
    analysis: Analysis
    subject: FixSubject | None
    issue_number: int | None
    issue_url: str | None


class FixPublisher(Protocol):
    """Where a fix attempt goes: GitHub (a pull request or a suggestion comment), or local."""

    tracker: Tracker

    def publish(self, job: FixJob, attempt: FixAttempt, repo: Path) -> dict[str, Any]:
        """Push/open/comment as the outcome calls for; return ``branch``, ``pr_number`` ..."""
        ...

    def record(self, session: Session, job_group: int, data: dict[str, Any]) -> None:
        """Local effects, in the transaction that stores the outcome."""
        ...


def subject_of(event: ErrorEvent, analysis: Analysis) -> FixSubject | None:
    """The exception and the repository line a fix is about."""
    crash = locate(event, analysis)
    if crash is None:
        return None
    exc_type, value = exception_text(crash.exception)
    return FixSubject(crash.exception.type, crash.path, crash.frame.lineno, f"{exc_type}: {value}")


class ProposeFix:
    """Attempt a fix for a group and publish it through `publisher`."""

    kind: str = ActionKind.FIX_PROPOSE

    def __init__(
        self, analysis: AnalysisSettings, fix: FixSettings, publisher: FixPublisher
    ) -> None:
        self.analysis = analysis  # the repository to fix in
        self.config = FixConfig.from_settings(fix)
        self.publisher = publisher

    def prepare(self, session: Session, action: Action) -> FixJob | ActionResult:
        context = issue_context(session, action.group_id)
        if context is None or action.group_id is None:
            return ActionResult.fail("group or its latest event is gone")
        if context.analysis is None:
            return ActionResult.fail("the group has no analysis to fix from")
        tracker = self.publisher.tracker
        link = session.scalars(
            select(Link).where(
                Link.group_id == action.group_id, Link.tracker == _LINK_TRACKER[tracker]
            )
        ).first()
        if link is None:
            opener = session.scalars(
                select(Action.status).where(
                    Action.idempotency_key == open_key(tracker, action.group_id)
                )
            ).first()
            if opener in ("pending", "running", "retryable"):
                return ActionResult.retry("the issue is not opened yet", WAIT_FOR_ISSUE)
        number = int(link.external_id) if link is not None and link.external_id.isdigit() else None
        return FixJob(
            key=action.idempotency_key,
            group_id=action.group_id,
            token=footer_token(context.group.fingerprint),
            event=context.event,
            analysis=context.analysis,
            subject=subject_of(context.event, context.analysis),
            issue_number=number if tracker is Tracker.GITHUB else None,
            issue_url=link.url if link is not None else None,
        )

    def perform(self, prepared: FixJob | ActionResult) -> ActionResult:
        if isinstance(prepared, ActionResult):
            return prepared
        try:
            repo = RepoAccess(self.analysis).open()
        except GitError as exc:
            return ActionResult.retry(f"repository: {exc}")
        attempt = attempt_fix(
            prepared.event,
            prepared.analysis,
            repo.git_dir,
            self.config,
        )
        try:
            published = self.publisher.publish(prepared, attempt, repo.git_dir)
        except ActionFailed as exc:
            if exc.retryable:
                return ActionResult.retry(exc.reason, exc.retry_after)
            return ActionResult.fail(exc.reason)
        except GitError as exc:
            return ActionResult.retry(f"git: {exc}")
        data = {**attempt.as_json(), **published}
        number = published.get("pr_number")
        return ActionResult.ok(
            None if number is None else str(number), published.get("pr_url"), data=data
        )

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None or not isinstance(result.data, dict):
            return
        save_attempt(session, action.idempotency_key, action.group_id, result.data, utcnow())
        self.publisher.record(session, action.group_id, result.data)
