"""Sentry issue ids on stored events: how status signals find their groups.

Every event that came from Sentry keeps its issue id in ``contexts.sentry.issue_id``;
that is how ``issue.resolved``/``ignored``/``unresolved`` find the group to update.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.store.tables import Event, Group


def groups_for_issue(session: Session, issue_id: str) -> list[Group]:
    """The groups holding events of Sentry issue `issue_id`."""
    path = Event.payload[("contexts", "sentry", "issue_id")].as_string()
    group_ids = session.scalars(
        select(Event.group_id)
        .where(Event.source == "sentry", Event.group_id.is_not(None), path == issue_id)
        .distinct()
    ).all()
    if not group_ids:
        return []
    return list(session.scalars(select(Group).where(Group.id.in_(group_ids))))
