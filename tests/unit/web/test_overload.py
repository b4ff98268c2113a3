"""Load shedding: the backlog and commit-latency readings, their bounds and lapses."""

from __future__ import annotations

import asyncio

import pytest

from autotriage.errors import Overloaded
from autotriage.web.errors import sentry_rate_limits
from autotriage.web.security import REFRESH_SECONDS, LoadShedder


def shedder(backlog: list[int], now: list[float], **bounds: float) -> LoadShedder:
    return LoadShedder(
        lambda: backlog[0],
        max_backlog=int(bounds.get("max_backlog", 0)),
        max_commit_seconds=bounds.get("max_commit_seconds", 0.0),
        retry_after=10,
        clock=lambda: now[0],
    )


def test_backlog_past_its_bound_sheds_with_sentry_rate_limits() -> None:
    backlog, now = [99], [0.0]
    shed = shedder(backlog, now, max_backlog=100)

    async def run() -> None:
        await shed.check()  # 99 waiting: let in
        backlog[0] = 100
        await shed.check()  # the reading is younger than a second: still 99
        now[0] += REFRESH_SECONDS
        await shed.check()  # starts a new reading, answers from the old one
        await asyncio.sleep(0.05)  # the reading (a thread) lands
        with pytest.raises(Overloaded) as caught:
            await shed.check()
        refused = caught.value
        assert (refused.status_code, refused.retry_after) == (429, 10)
        assert sentry_rate_limits(refused) == "10::organization:backlog"
        assert "100 events are waiting" in refused.reason
        backlog[0] = 3
        now[0] += REFRESH_SECONDS
        with pytest.raises(Overloaded):
            await shed.check()  # the stale reading still sheds while the new one runs
        await asyncio.sleep(0.05)
        await shed.check()  # drained: let in again

    asyncio.run(run())


def test_slow_commits_shed_and_one_slow_commit_does_not() -> None:
    now = [0.0]
    shed = shedder([0], now, max_commit_seconds=2.0)
    shed.committed(0.01)
    shed.committed(6.0)  # one big payload
    asyncio.run(shed.check())
    for _ in range(3):
        now[0] += 0.5
        shed.committed(6.0)
    with pytest.raises(Overloaded) as caught:
        asyncio.run(shed.check())
    assert caught.value.reason_code == "commit_latency"


def test_a_latency_reading_lapses_so_probes_get_through() -> None:
    now = [0.0]
    shed = shedder([0], now, max_commit_seconds=1.0)
    for _ in range(10):
        shed.committed(5.0)
    with pytest.raises(Overloaded):
        asyncio.run(shed.check())
    now[0] += 11  # Retry-After passed and nothing committed since: probe again
    asyncio.run(shed.check())
    shed.committed(0.02)  # the probe's commit was fast: the old average is gone
    asyncio.run(shed.check())
    assert shed.commit_seconds < 0.01


def test_zero_bounds_never_shed() -> None:
    shed = shedder([10**9], [0.0])
    shed.committed(1000.0)
    asyncio.run(shed.check())
