"""An epoch ``timestamp`` past the calendar is refused with its reason, not a 500 (an
OverflowError before: found by the hostile corpus's time cases, issue 16)."""

from __future__ import annotations

import json

import pytest

from autotriage.errors import PayloadInvalid
from autotriage.sources.generic import webhook
from tests.hostile import payloads


@pytest.mark.parametrize("stamp", [1e300, 2**70, -1e20, float("nan")])
def test_an_epoch_past_the_calendar_is_refused(stamp: float) -> None:
    doc = {**payloads.generic("boom"), "timestamp": stamp}
    with pytest.raises(PayloadInvalid, match="timestamp: epoch seconds out of range"):
        webhook.parse(json.dumps(doc).encode(), {})


def test_an_epoch_in_range_is_read() -> None:
    doc = {**payloads.generic("boom"), "timestamp": 1_780_000_000.5}
    (event,) = webhook.parse(json.dumps(doc).encode(), {})
    assert event.occurred_at is not None and event.occurred_at.year == 2026
