"""Group commit in `Intake.accept` and `accept_async`: concurrent callers share transactions, each returns only
after its events are committed, and one failing delivery does not fail its neighbours."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic_core import PydanticSerializationError
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from autotriage.intake import Intake
from autotriage.models import ErrorEvent
from autotriage.store import Store
from autotriage.store.events import StoredDelivery
from autotriage.store.tables import Event


def _event(n: int) -> ErrorEvent:
    return ErrorEvent(source="sentry", source_event_id=f"ev-{n}", message=f"boom {n}")


def _count(store: Store) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_concurrent_accepts_share_commits_and_each_sees_its_rows(store: Store) -> None:
    commits = 0

    def on_commit(_conn: object) -> None:
        nonlocal commits
        commits += 1

    sa_event.listen(store.engine, "commit", on_commit)
    intake = Intake(store)
    visible_after_return: list[bool] = []
    lock = threading.Lock()

    def one(n: int) -> int:
        outcome = intake.accept("sentry", [_event(n), _event(n + 1000)], delivery_id=f"d{n}")
        with store.reading() as session:  # durable before accept returned
            seen = session.scalar(select(func.count()).where(Event.id.in_(outcome.event_ids)))
        with lock:
            visible_after_return.append(seen == 2)
        return len(outcome.event_ids)

    with ThreadPoolExecutor(16) as pool:
        stored = list(pool.map(one, range(200)))
    assert stored == [2] * 200
    assert all(visible_after_return)
    assert _count(store) == 400
    writes = commits - 200  # each of the 200 read checks commits its own read transaction
    assert writes < 100  # batched: far fewer write commits than the 200 deliveries

    again = intake.accept("sentry", [_event(5)], delivery_id="d5")
    assert again.redelivery


class Poisoned(Exception):
    """What the database 'raises' for a poisoned row in these tests."""


def test_a_failing_delivery_fails_alone(store: Store) -> None:
    def refuse_poison(_c: object, _cur: object, _stmt: str, params: object, *_: object) -> None:
        if "poison" in str(params):
            raise Poisoned("the database refused this row")

    sa_event.listen(store.engine, "before_cursor_execute", refuse_poison)
    intake = Intake(store)
    results: dict[str, object] = {}
    start = threading.Barrier(9)

    def run(name: str, events: list[ErrorEvent]) -> None:
        start.wait()
        try:
            results[name] = len(intake.accept("sentry", events).event_ids)
        except Poisoned as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=(f"ok{n}", [_event(n)])) for n in range(8)]
    poison = ErrorEvent(source="sentry", source_event_id="poison", message="x")
    threads.append(threading.Thread(target=run, args=("bad", [poison])))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(results.pop("bad"), Poisoned)
    assert results == {f"ok{n}": 1 for n in range(8)}
    assert _count(store) == 8


def test_errors_reach_the_caller(store: Store) -> None:
    bad = ErrorEvent(source="sentry", message="x", raw={"o": object()})
    with pytest.raises(PydanticSerializationError):
        Intake(store).accept("sentry", [bad])
    assert _count(store) == 0


def test_async_accepts_share_commits_and_store_each_event_once(store: Store) -> None:
    intake = Intake(store)
    big = [_event(n) for n in range(20)]  # past INLINE_EVENTS: scrubbed in a thread
    keyless = ErrorEvent(source="sentry", message="no id from the source")

    async def send() -> list[StoredDelivery]:
        return await asyncio.gather(
            intake.accept_async("sentry", big),
            intake.accept_async("sentry", big[:5]),  # the same events again, in the same batch
            intake.accept_async("sentry", [keyless]),
            intake.accept_async("sentry", [keyless]),  # no id: never deduped
        )

    first, again, lone, other = asyncio.run(send())
    assert len(first.event_ids) + len(again.event_ids) == 20
    assert first.duplicates + again.duplicates == 5
    assert len(lone.event_ids) == len(other.event_ids) == 1
    assert len({*first.event_ids, *again.event_ids, *lone.event_ids, *other.event_ids}) == 22
    assert _count(store) == 22
