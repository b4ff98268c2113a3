"""Retention on both stores: bounded rows per group, exact counts, old events and deliveries gone,
pending events never touched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select, update

from autotriage.config import Settings
from autotriage.intake import SENTRY_ISSUE, Intake, IssueRef
from autotriage.jobs.retention import RetentionPolicy, apply_retention
from autotriage.models import ErrorEvent, utcnow
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Delivery, Event, Group


def _events(kind: int, n: int, start: int) -> list[ErrorEvent]:
    return [
        ErrorEvent(
            source="sentry",
            source_event_id=f"k{kind}-{start + i}",
            message=f"boom {['alpha', 'beta'][kind]}",
        )
        for i in range(n)
    ]


def _counts(store: Store) -> tuple[dict[str, int], dict[int, int], int]:
    with store.reading() as session:
        groups = {g.id: g.count for g in session.scalars(select(Group))}
        per_group = dict(
            session.execute(select(Event.group_id, func.count()).group_by(Event.group_id)).all()
        )
        deliveries = int(session.scalar(select(func.count()).select_from(Delivery)) or 0)
    return per_group, groups, deliveries


def test_retention_keeps_the_newest_per_group_and_exact_counts(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(DATABASE_URL=database_url)
    store = Store(database_url)
    store.migrate()
    intake = Intake(store)
    for batch in range(3):
        intake.accept("sentry", _events(0, 40, batch * 40), delivery_id=f"d0-{batch}")
        intake.accept("sentry", _events(1, 5, batch * 5), delivery_id=f"d1-{batch}")
    while process_pending(store, settings.pipeline):
        pass
    intake.accept("sentry", _events(0, 3, 1000))  # still pending: retention never touches it
    now = utcnow()
    report = apply_retention(store, RetentionPolicy(keep_per_group=10), now)
    per_group, counts, deliveries = _counts(store)
    big = next(gid for gid, count in counts.items() if count == 120)
    small = next(gid for gid, count in counts.items() if count == 15)
    assert report.over_group_limit == 110 + 5
    assert per_group[big] == 10 and per_group[small] == 10
    assert per_group[None] == 3  # the pending events
    assert sorted(counts.values()) == [15, 120]  # counts stay exact
    with store.reading() as session:
        newest = session.scalars(
            select(Event.source_event_id).where(Event.group_id == big).order_by(Event.id)
        ).all()
    assert newest == [f"k0-{n}" for n in range(110, 120)]
    assert deliveries == 6

    # a status signal's delivery (a Sentry resolve) is signed over its body alone
    assert not intake.apply_status(
        "sentry", IssueRef(SENTRY_ISSUE, "42"), None, delivery_id="s1"
    ).duplicate

    # a month later: processed events and delivery ids age out; pending ones stay, and
    # so does the status delivery, the only thing that refuses a captured resolve replayed
    with store.transaction() as session:
        session.execute(update(Event).values(received_at=now - timedelta(days=40)))
        session.execute(update(Delivery).values(received_at=now - timedelta(days=8)))
    report = apply_retention(store, RetentionPolicy(keep_per_group=10), now)
    per_group, counts, deliveries = _counts(store)
    assert report.too_old == 20 and report.deliveries == 6
    assert per_group == {None: 3} and deliveries == 1
    assert intake.apply_status(
        "sentry", IssueRef(SENTRY_ISSUE, "42"), None, delivery_id="s1"
    ).duplicate
    assert sorted(counts.values()) == [15, 120]
    store.dispose()
