"""The pipeline on both backends: intake dedupe, grouping, decisions and the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text

from autotriage import pipeline
from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Action, Event, Group, TrackerItem


def _event(value: str = "division by zero", event_id: str | None = None) -> ErrorEvent:
    frame = Frame(filename="app/pricing.py", function="total", lineno=41, in_app=True)
    return ErrorEvent(
        source="text",
        source_event_id=event_id,
        message=value,
        exceptions=[ExceptionInfo(type="ZeroDivisionError", value=value, frames=[frame])],
    )


def _settings(store: Store):  # type: ignore[no-untyped-def]
    return load_settings(env_file=None, DATABASE_URL=store.url)


def test_redelivery_and_known_event_ids_are_stored_once(store: Store) -> None:
    intake = Intake(store)
    first = intake.accept("text", [_event(event_id="a"), _event(event_id="b")], delivery_id="d1")
    again = intake.accept("text", [_event(event_id="a"), _event(event_id="b")], delivery_id="d1")
    other = intake.accept("text", [_event(event_id="a")], delivery_id="d2")
    assert len(first.event_ids) == 2
    assert again.redelivery and again.event_ids == []
    assert other.event_ids == [] and other.duplicates == 1
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_repeats_group_together_and_open_one_tracker_item(store: Store) -> None:
    settings = _settings(store)
    intake = Intake(store)
    for _ in range(12):
        intake.accept("text", [_event()])
    intake.accept(
        "text",
        [
            _event("other", event_id=None).model_copy(
                update={"exceptions": [ExceptionInfo(type="KeyError", value="'sku'")]}
            )
        ],
    )
    assert process_pending(store, settings.pipeline) == 13
    while run_due(store, build_handlers(settings)):
        pass
    with store.reading() as session:
        groups = session.scalars(select(Group).order_by(Group.id)).all()
        assert [g.count for g in groups] == [12, 1]
        items = session.scalars(select(TrackerItem)).all()
        assert len(items) == 2
        assert "| **Occurrences** | 12 |" in items[0].body
        milestone = session.scalars(
            select(Action).where(Action.idempotency_key.like("tracker.milestone:%"))
        ).all()
        assert [a.status for a in milestone] == ["ok"]
        assert items[0].comments[0]["body"] == "This error has now occurred 10 times."


def test_processing_twice_counts_nothing_twice(store: Store) -> None:
    settings = _settings(store)
    Intake(store).accept("text", [_event()])
    assert process_pending(store, settings.pipeline) == 1
    assert process_pending(store, settings.pipeline) == 0
    with store.reading() as session:
        assert session.scalar(select(Group.count)) == 1
        opens = session.scalar(
            select(func.count()).select_from(Action).where(Action.kind == "tracker.open")
        )
        assert opens == 1


def test_resolved_group_regresses_and_reopens(store: Store) -> None:
    settings = _settings(store)
    handlers = build_handlers(settings)
    intake = Intake(store)
    intake.accept("text", [_event()])
    process_pending(store, settings.pipeline)
    while run_due(store, handlers):
        pass
    with store.transaction() as session:
        group = session.scalars(select(Group)).one()
        group.status = "resolved"
        item = session.scalars(select(TrackerItem)).one()
        item.state = "closed"
    intake.accept("text", [_event().model_copy(update={"release": "2.0.1"})])
    process_pending(store, settings.pipeline)
    while run_due(store, handlers):
        pass
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        item = session.scalars(select(TrackerItem)).one()
        assert group.status == "open" and group.regressions == 1
        assert item.state == "open" and item.state_reason == "reopened"
        assert "release `2.0.1`" in item.comments[-1]["body"]


def test_groups_filter_by_status_and_source_with_pages(store: Store) -> None:
    from autotriage.store.groups import list_groups

    settings = _settings(store)
    intake = Intake(store)
    for n in range(3):
        event = _event(f"v{n}").model_copy(
            update={
                "source": "sentry" if n else "slack_app",
                "exceptions": [ExceptionInfo(type=f"E{n}", value="x")],
            }
        )
        intake.accept(event.source, [event])
    process_pending(store, settings.pipeline)
    with store.reading() as session:
        rows, total = list_groups(session, source="sentry", limit=1)
        assert total == 2
        assert len(rows) == 1
        assert list_groups(session, source="slack_app")[1] == 1
        assert list_groups(session, source="slack")[1] == 0
        assert list_groups(session, status="resolved")[1] == 0


def test_event_ids_are_never_scrubbed_into_one_another(store: Store) -> None:
    # Each id holds a Luhn-valid 16-digit run, which a card detector could mistake.
    ids = ["45f4f696be2b49929051932948ad604e", "64c654edea434299944860794c0384a9"]
    outcome = Intake(store).accept("text", [_event(event_id=i) for i in ids])
    assert len(outcome.event_ids) == 2
    with store.reading() as session:
        assert set(session.scalars(select(Event.source_event_id))) == set(ids)


@pytest.mark.postgres
def test_a_failing_event_marks_itself_failed_not_the_oldest_pending(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(postgres_url)
    store.migrate()
    settings = _settings(store)
    intake = Intake(store)
    intake.accept("text", [_event("held by another worker")])
    intake.accept("text", [_event("cannot be processed")])
    # Another worker holds the first event (SKIP LOCKED passes it by) until the second fails.
    engine = create_engine(postgres_url)
    other = engine.connect()
    other.begin()
    other.execute(text("SELECT id FROM events WHERE id = 1 FOR UPDATE"))
    failures = []

    def load_event(row: Event) -> ErrorEvent:
        if row.id != 2:
            return real_load_event(row)
        failures.append(row.id)
        if len(failures) == 2:  # the event-by-event retry: the other worker lets go now
            other.rollback()
        raise ValueError("event 2 is unreadable")

    real_load_event = pipeline.load_event
    monkeypatch.setattr(pipeline, "load_event", load_event)
    try:
        process_pending(store, settings.pipeline)
    finally:
        other.close()
        engine.dispose()
    with store.reading() as session:
        states = {row.id: row.status for row in session.execute(select(Event.id, Event.status))}
    assert states == {1: "done", 2: "failed"}
    store.dispose()
