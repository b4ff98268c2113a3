"""Sparkline and graph points from hourly buckets: every hour of the span counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from autotriage.store.groups import hour_of, series

NOW = datetime(2026, 1, 2, 10, 30, tzinfo=UTC)


def test_daily_points_end_with_the_current_hour_and_cover_the_whole_span() -> None:
    end = hour_of(NOW)
    buckets = {
        end - timedelta(hours=ago): count
        for ago, count in ((0, 1), (5, 2), (23, 4), (24, 8), (335, 16), (336, 32))
    }
    daily = series(buckets, NOW, 14 * 24, 24)
    assert len(daily) == 14
    assert daily[-1] == 1 + 2 + 4  # the last 24 hours, this one included
    assert daily[-2] == 8
    assert daily[0] == 16  # 335 hours ago is inside 14 days; 336 is not
    assert sum(daily) == sum(series(buckets, NOW, 14 * 24)) == 31
    assert series(buckets, NOW, 24) == [4, *[0] * 17, 2, 0, 0, 0, 0, 1]
