"""The analysis stage, run through the outbox so it is retried and never blocks intake."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from autotriage.actions.base import ActionResult
from autotriage.actions.kinds import ActionKind
from autotriage.analysis import Analysis, analyze
from autotriage.config import Settings
from autotriage.models import ErrorEvent
from autotriage.store.events import load_event
from autotriage.store.groups import latest_event
from autotriage.store.tables import Action, Group


@dataclass(frozen=True, slots=True)
class _Job:
    event: ErrorEvent


class AnalyzeGroup:
    """Analyse a group's latest event and keep the result on the group."""

    kind: str = ActionKind.ANALYSIS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def prepare(self, session: Session, action: Action) -> _Job | None:
        group = session.get(Group, action.group_id) if action.group_id is not None else None
        row = latest_event(session, group) if group is not None else None
        return _Job(load_event(row)) if row is not None else None

    def perform(self, prepared: _Job | None) -> ActionResult:
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        result: Analysis = analyze(prepared.event, self.settings)
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
