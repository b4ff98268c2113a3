"""`cron_every`: intervals in seconds become cron lines procrastinate schedules by."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from croniter import croniter

from autotriage.jobs.engine import cron_every


@pytest.mark.parametrize(
    ("seconds", "gap"),
    [(1, 1), (10, 10), (30, 30), (60, 60), (300, 300), (3600, 3600), (7200, 7200), (86400, 86400)],
)
def test_cron_every_fires_at_the_interval(seconds: int, gap: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = croniter(cron_every(seconds), start)
    times = [runs.get_next(datetime) for _ in range(3)]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [gap, gap]
