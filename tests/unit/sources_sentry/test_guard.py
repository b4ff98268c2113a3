"""The ingest guard: in-flight limit and per-key quota windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autotriage.errors import Overloaded
from autotriage.store.ingest_keys import KeyInfo
from autotriage.web.keyauth import IngestGuard

KEY = KeyInfo(1, "abcd1234", 42, None, datetime(2026, 1, 1, tzinfo=UTC), None)


def test_inflight_limit() -> None:
    guard = IngestGuard(max_inflight=2, per_minute=0)
    guard.enter()
    guard.enter()
    with pytest.raises(Overloaded) as caught:
        guard.enter()
    assert caught.value.scope == "organization"
    assert caught.value.status_code == 429
    guard.leave()
    guard.enter()  # a slot came back


def test_quota_resets_each_minute() -> None:
    now = [120.0]
    guard = IngestGuard(max_inflight=10, per_minute=3, clock=lambda: now[0])
    guard.charge(KEY, 2)
    with pytest.raises(Overloaded) as caught:
        guard.charge(KEY, 2)
    assert caught.value.retry_after == 60
    now[0] = 175.0
    with pytest.raises(Overloaded) as later:
        guard.charge(KEY, 2)
    assert later.value.retry_after == 5
    now[0] = 180.0
    guard.charge(KEY, 3)
