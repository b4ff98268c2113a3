"""The analysis stage, run through the outbox so it is retried and never blocks intake.

With ``PR_ENABLED=true`` a successful analysis plans the group's fix attempt
(``fix.propose``, `actions.fixes.propose`) in the same transaction, so the attempt runs
after the issue's open action and always sees this analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionKind, ActionResult, PlannedAction, fix_key
from autotriage.actions.outbox import enqueue
from autotriage.analysis import Analysis
from autotriage.analysis.analyzer import Analyzer
from autotriage.models import ErrorEvent, utcnow
from autotriage.store.events import load_event
from autotriage.store.groups import latest_event
from autotriage.store.tables import Action, Group


@dataclass(frozen=True, slots=True)
class _Job:
    event: ErrorEvent


class AnalyzeGroup:
    """Analyse a group's latest event and keep the result on the group."""

    kind: str = ActionKind.ANALYSIS

    def __init__(self, analyzer: Analyzer, *, propose_fixes: bool = False) -> None:
        self.analyzer = analyzer
        self.propose_fixes = propose_fixes  # PR_ENABLED: a fix attempt follows the analysis

    def prepare(self, session: Session, action: Action) -> _Job | None:
        group = session.get(Group, action.group_id) if action.group_id is not None else None
        row = latest_event(session, group) if group is not None else None
        return _Job(load_event(row)) if row is not None else None

    def perform(self, prepared: _Job | None) -> ActionResult:
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        result: Analysis = self.analyzer.analyze(prepared.event)
        return ActionResult.ok(data=result.model_dump(mode="json"))

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        if result.status != "ok" or action.group_id is None:
            return
        group = session.get(Group, action.group_id)
        if group is not None:
            group.analysis = result.data
            culprit = result.data.get("culprit")
            if culprit and not group.culprit:
                group.culprit = f"{culprit['path']} in {culprit.get('function') or '?'}"[:500]
            if self.propose_fixes and result.data.get("commit"):
                planned = PlannedAction(
                    ActionKind.FIX_PROPOSE,
                    fix_key(group.id, group.regressions),
                    group.id,
                    action.event_id,
                )
                enqueue(session, planned, utcnow())
