"""Sentry issue ids on stored events: which groups a status signal is about, enrichment.

Every event that came from Sentry keeps its issue id in ``contexts.sentry.issue_id``;
that is how ``issue.resolved``/``ignored``/``unresolved`` find the group to update, and
how the frames fetched after answering an ``issue.created`` hook reach the stored event.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.models import ErrorEvent
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


def enrich_pending(session: Session, dedupe_key: str, event: ErrorEvent) -> bool:
    """Replace a still-unprocessed event's payload with a fuller one; False if too late."""
    row = session.scalars(
        select(Event).where(Event.dedupe_key == dedupe_key).with_for_update()
    ).first()
    if row is None or row.status != "pending":
        return False
    row.payload = event.model_dump(mode="json")
    row.title = event.title[:500]
    return True
