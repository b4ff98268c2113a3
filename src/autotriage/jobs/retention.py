"""Retention: storage stays bounded however many events arrive.

Three rules, each a bounded batch of deletes so no transaction grows with the backlog:

* each group keeps its newest ``keep_per_group`` processed events (``EVENTS_PER_GROUP_KEEP``);
  the group's ``count`` is a column of its own, so counts stay exact;
* processed events received more than ``max_age`` ago are dropped (``EVENT_RETENTION_DAYS``);
* delivery ids older than ``dedupe_window`` are forgotten: a vendor redelivers within
  minutes or hours, never weeks later. Status signals' deliveries (``STATUS_SUFFIX``)
  are kept: few, and the only guard against a captured resolve replayed later.

Events still pending or failed are never deleted: nothing accepted is lost to retention.
An action's ``event_id`` is a plain number (no foreign key), so the audit trail survives
the events it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from autotriage.store import Store
from autotriage.store.events import STATUS_SUFFIX
from autotriage.store.tables import Delivery, Event, Group

BATCH = 5000


@dataclass(frozen=True)
class RetentionPolicy:
    """How much to keep; a zero disables that rule."""

    keep_per_group: int = 1000
    max_age: timedelta = timedelta(days=30)
    dedupe_window: timedelta = timedelta(days=7)


@dataclass
class RetentionReport:
    """How many rows one run deleted, by rule."""

    over_group_limit: int = 0
    too_old: int = 0
    deliveries: int = 0

    @property
    def total(self) -> int:
        """All rows deleted."""
        return self.over_group_limit + self.too_old + self.deliveries


def apply_retention(store: Store, policy: RetentionPolicy, now: datetime) -> RetentionReport:
    """Delete what `policy` no longer keeps, in batches; report how much went."""
    report = RetentionReport()
    if policy.keep_per_group > 0:
        with store.reading() as session:
            crowded = list(
                session.scalars(select(Group.id).where(Group.count > policy.keep_per_group))
            )
        for group_id in crowded:
            while True:
                with store.transaction() as session:
                    gone = _trim_group(session, group_id, policy.keep_per_group)
                report.over_group_limit += gone
                if gone < BATCH:
                    break
    if policy.max_age > timedelta(0):
        cutoff = now - policy.max_age
        # "merged": a CloudWatch tail kept only so its redelivery is known (sources.aws.tails)
        done = Event.status.in_(("done", "merged"))
        old = select(Event.id).where(Event.received_at < cutoff, done)
        report.too_old = _batched(store, Event, old.limit(BATCH))
    if policy.dedupe_window > timedelta(0):
        cutoff = now - policy.dedupe_window
        status = Delivery.source.endswith(STATUS_SUFFIX)
        stale = select(Delivery.id).where(Delivery.received_at < cutoff, ~status)
        report.deliveries = _batched(store, Delivery, stale.limit(BATCH))
    return report


def _trim_group(session: Session, group_id: int, keep: int) -> int:
    """Delete up to BATCH of the group's processed events older than its newest `keep`."""
    boundary = session.scalar(
        select(Event.id)
        .where(Event.group_id == group_id)
        .order_by(Event.id.desc())
        .offset(keep - 1)
        .limit(1)
    )
    if boundary is None:
        return 0
    doomed = (
        select(Event.id)
        .where(Event.group_id == group_id, Event.id < boundary, Event.status == "done")
        .limit(BATCH)
    )
    result = session.execute(delete(Event).where(Event.id.in_(doomed.scalar_subquery())))
    return int(getattr(result, "rowcount", 0) or 0)


def _batched(store: Store, table: type[Event] | type[Delivery], ids: Select[int]) -> int:
    """Delete the rows `ids` selects, BATCH at a time, until none are left; how many."""
    total = 0
    while True:
        with store.transaction() as session:
            result = session.execute(delete(table).where(table.id.in_(ids.scalar_subquery())))
            gone = int(getattr(result, "rowcount", 0) or 0)
        total += gone
        if gone < BATCH:
            return total


def database_bytes(store: Store) -> int | None:
    """The database's size on disk (PostgreSQL), for the benchmark and /health."""
    if store.dialect != "postgresql":
        return None
    with store.reading() as session:
        return int(session.scalar(select(func.pg_database_size(func.current_database()))) or 0)
