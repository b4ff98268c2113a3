"""The held-trace store's bounds and edges, through the intake's commit (the path the
Firehose route takes), on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from autotriage.intake import Intake
from autotriage.sources.aws import cloudwatch, firehose, tails
from autotriage.store import Store, held_traces
from autotriage.store.held_traces import HeldTrace
from autotriage.store.tables import Event
from tests.integration.sources2.test_held_traces_firehose import (
    PY_HEAD,
    PY_TAIL,
    T0,
    delivery,
    log_events,
    message,
)

COMPLETE = [*PY_HEAD, *PY_TAIL]


def _intake(store: Store, grace: int = 120) -> Intake:
    intake = Intake(store)
    intake.after_store[cloudwatch.NAME] = tails.intake_hook(grace)
    return intake


def _send(intake: Intake, request_id: str, *messages: dict[str, Any]) -> list[int]:
    events = firehose.parse(delivery(request_id, *messages), {})
    return intake.accept("cloudwatch", events, delivery_id=f"firehose:{request_id}").event_ids


def _status(store: Store, events: Sequence[dict[str, Any]]) -> str | None:
    with store.reading() as session:
        return session.scalar(select(Event.status).where(Event.source_event_id == events[0]["id"]))


def _held_streams(store: Store) -> list[str]:
    with store.reading() as session:
        return sorted(session.scalars(select(HeldTrace.log_stream)))


def test_the_store_is_capped_and_the_oldest_goes_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(held_traces, "MAX_HELD", 2)
    intake = _intake(store)
    heads = [log_events(PY_HEAD, T0 + i * 100) for i in range(3)]
    for i, head in enumerate(heads):
        _send(intake, f"cap-{i}", message(f"s{i}", head))
    assert _held_streams(store) == ["s1", "s2"]
    assert [_status(store, h) for h in heads] == ["pending", "held", "held"]


def test_grace_zero_holds_nothing(store: Store) -> None:
    head = log_events(PY_HEAD, T0)
    _send(_intake(store, grace=0), "g-1", message("s", head))
    assert _status(store, head) == "pending"
    assert _held_streams(store) == []


def test_a_fragment_that_joins_nothing_is_not_stored(store: Store) -> None:
    tail = log_events(PY_TAIL, T0)
    assert _send(_intake(store), "f-1", message("s", tail)) == []
    assert _status(store, tail) is None


def test_a_later_record_releases_the_head_as_it_is(store: Store) -> None:
    intake = _intake(store)
    head = log_events(PY_HEAD, T0)
    _send(intake, "l-1", message("s", head))
    later = log_events(COMPLETE, T0 + 60_000)
    _send(intake, "l-2", message("s", later))
    assert (_status(store, head), _status(store, later)) == ("pending", "pending")
    assert _held_streams(store) == []


def test_an_older_record_read_late_leaves_the_head_held(store: Store) -> None:
    intake = _intake(store)
    head = log_events(PY_HEAD, T0 + 60_000)
    _send(intake, "o-1", message("s", head))
    older = log_events(COMPLETE, T0)
    _send(intake, "o-2", message("s", older))
    assert (_status(store, head), _status(store, older)) == ("held", "pending")
    # and the real tail still completes it
    _send(intake, "o-3", message("s", log_events(PY_TAIL, T0 + 60_000 + len(PY_HEAD))))
    assert _status(store, head) == "pending"
    with store.reading() as session:
        title = session.scalar(select(Event.title).where(Event.source_event_id == head[0]["id"]))
    assert title == "ZeroDivisionError: division by zero"


def test_a_tail_past_the_gap_is_not_joined(store: Store) -> None:
    intake = _intake(store)
    head = log_events(PY_HEAD, T0)
    _send(intake, "p-1", message("s", head))
    gap = 2_001  # more than CONTINUATION_GAP_MS after the head's last line
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD) - 1 + gap)
    _send(intake, "p-2", message("s", tail))
    assert _status(store, head) == "pending"
    assert _status(store, tail) is None  # no error of its own: nothing stored
    with store.reading() as session:
        title = session.scalar(select(Event.title).where(Event.source_event_id == head[0]["id"]))
    assert title != "ZeroDivisionError: division by zero"


def test_the_workers_timer_releases_a_head_whose_grace_is_over(store: Store) -> None:
    import time

    from autotriage.config import load_settings
    from autotriage.jobs.work import Work, periodic_jobs

    head = log_events(PY_HEAD, T0)
    _send(_intake(store, grace=1), "t-1", message("s", head))
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    work = Work(
        store,
        {},
        server=settings.server,
        pipeline=settings.pipeline,
        retention=settings.retention,
        aws=settings.aws,
        sentry=settings.sentry,
    )
    timer = {name: job for name, _, job in periodic_jobs(work)}["held_traces"]
    assert timer() == 0
    assert _status(store, head) == "held"
    time.sleep(1.1)
    assert timer() == 1
    assert _status(store, head) == "pending"
    assert _held_streams(store) == []


def test_retention_drops_old_merged_tails_and_never_a_held_head(store: Store) -> None:
    from datetime import timedelta

    from autotriage.jobs.retention import RetentionPolicy, apply_retention
    from autotriage.models import utcnow

    intake = _intake(store)
    head = log_events(PY_HEAD, T0)
    _send(intake, "r-1", message("s", head))
    _send(intake, "r-2", message("s", log_events(PY_TAIL, T0 + len(PY_HEAD))))
    held = log_events(PY_HEAD, T0 + 60_000)
    _send(intake, "r-3", message("other", held))
    report = apply_retention(store, RetentionPolicy(), utcnow() + timedelta(days=31))
    assert report.too_old == 1  # the merged tail (the completed head is not grouped yet)
    with store.reading() as session:
        statuses = sorted(session.scalars(select(Event.status)))
    assert statuses == ["held", "pending"]


def test_a_stream_the_cap_released_takes_no_tail_in_the_same_delivery(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(held_traces, "MAX_HELD", 2)
    heads = [log_events(PY_HEAD, T0 + i * 100) for i in range(3)]
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))  # s0's tail, after the cap released s0
    messages = [message(f"s{i}", head) for i, head in enumerate(heads)]
    _send(_intake(store), "cap-1", *messages, message("s0", tail))
    assert _held_streams(store) == ["s1", "s2"]
    assert _status(store, heads[0]) == "pending"
    assert _status(store, tail) is None
