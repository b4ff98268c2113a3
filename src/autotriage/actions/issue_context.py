"""What every issue tracker renders an issue from, and the `IssueTracker` protocol.

The local tracker (`actions.tracker`) and GitHub (`actions.github.handlers`) are the two
implementations: each performs the pipeline's tracker-neutral steps (`kinds.Step`) with
its own action handlers, and both render from the same `IssueContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from autotriage.actions.base import ActionHandler
from autotriage.actions.kinds import Tracker
from autotriage.actions.render import GroupView
from autotriage.analysis import Analysis
from autotriage.models import ErrorEvent
from autotriage.store.events import load_event
from autotriage.store.groups import latest_event
from autotriage.store.tables import Group


@dataclass(frozen=True, slots=True)
class IssueContext:
    """Everything an issue is rendered from."""

    group: GroupView
    event: ErrorEvent
    analysis: Analysis | None


class IssueTracker(Protocol):
    """Where a group's issue lives: the handlers performing each `kinds.Step` there."""

    name: Tracker

    def handlers(self) -> list[ActionHandler]:
        """One handler per action kind of this tracker (`kinds.tracker_kind`)."""
        ...


def issue_context(session: Session, group_id: int | None) -> IssueContext | None:
    """Load a group, its latest event and its analysis for rendering."""
    group = session.get(Group, group_id) if group_id is not None else None
    if group is None:
        return None
    row = latest_event(session, group)
    if row is None:
        return None
    view = GroupView(
        id=group.id,
        fingerprint=group.fingerprint,
        title=group.title,
        level=group.level,
        count=group.count,
        first_seen=group.first_seen,
        last_seen=group.last_seen,
        sources=list(group.sources or []),
        service=group.service,
        environment=group.environment,
        release=group.last_release,
    )
    analysis = Analysis.model_validate(group.analysis) if group.analysis else None
    return IssueContext(view, load_event(row), analysis)
