"""The ingest guard: in-flight limit, per-key quota and per-address windows (in memory)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from autotriage.errors import Overloaded
from autotriage.store.ingest_keys import KeyInfo
from autotriage.web.ingest import IngestGuard
from autotriage.web.security import MAX_SUBJECTS, LoadShedder, LocalWindows, RateLimits

KEY = KeyInfo(1, "abcd1234", 42, None, datetime(2026, 1, 1, tzinfo=UTC), None)


def guard(
    now: list[float], *, inflight: int = 10, per_key: int = 0, per_ip: int = 0
) -> IngestGuard:
    limits = RateLimits(
        LocalWindows(), events_per_key=per_key, requests_per_ip=per_ip, clock=lambda: now[0]
    )
    shedder = LoadShedder(lambda: 0, max_backlog=0, max_commit_seconds=0, retry_after=5)
    return IngestGuard(inflight, limits, shedder)


def test_inflight_limit() -> None:
    ingest = guard([0.0], inflight=2)
    ingest.enter()
    ingest.enter()
    with pytest.raises(Overloaded) as caught:
        ingest.enter()
    assert caught.value.scope == "organization"
    assert caught.value.status_code == 429
    ingest.leave()
    ingest.enter()  # a slot came back


def test_quota_resets_each_minute() -> None:
    now = [120.0]
    ingest = guard(now, per_key=3)
    asyncio.run(ingest.charge(KEY, 2))
    with pytest.raises(Overloaded) as caught:
        asyncio.run(ingest.charge(KEY, 2))
    assert caught.value.retry_after == 60
    assert (caught.value.scope, caught.value.reason_code) == ("key", "key_quota")
    now[0] = 175.0
    with pytest.raises(Overloaded) as later:
        asyncio.run(ingest.charge(KEY, 2))
    assert later.value.retry_after == 5
    now[0] = 180.0
    asyncio.run(ingest.charge(KEY, 3))


def test_a_refused_charge_uses_nothing_up() -> None:
    ingest = guard([0.0], per_key=3)
    asyncio.run(ingest.charge(KEY, 2))
    with pytest.raises(Overloaded):
        asyncio.run(ingest.charge(KEY, 5))
    asyncio.run(ingest.charge(KEY, 1))  # the refused 5 did not count


def test_address_limit_counts_requests_before_any_key() -> None:
    ingest = guard([0.0], per_ip=2)
    asyncio.run(ingest.admit("203.0.113.9"))
    asyncio.run(ingest.admit("203.0.113.9"))
    with pytest.raises(Overloaded) as caught:
        asyncio.run(ingest.admit("203.0.113.9"))
    assert caught.value.reason_code == "ip_rate"
    asyncio.run(ingest.admit("198.51.100.1"))  # another address has its own window
    assert ingest.inflight == 3  # the refused request took no slot


def test_memory_windows_stay_bounded_under_a_flood_of_addresses() -> None:
    windows = LocalWindows()

    async def flood() -> None:
        for n in range(MAX_SUBJECTS + 10):
            await windows.take("ip", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 0, 1, 5)

    asyncio.run(flood())
    assert len(windows.used) <= MAX_SUBJECTS
