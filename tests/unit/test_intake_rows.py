"""`intake.inbox_row`: the payload text as `json_dumps` writes it, whatever the keys."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from autotriage.intake import inbox_row
from autotriage.models import ErrorEvent
from autotriage.store.db import json_dumps
from autotriage.understanding.scrub import scrub_payload


@pytest.mark.parametrize(
    "raw",
    [
        {"modules": {"a": "1"}, "vars": [1, 2.5, None, True]},
        {1: "an integer key", "nested": {2.5: "a float key"}},  # odd sources' raw
        {"big": 2**70},  # past what orjson writes: the standard library's text
    ],
)
def test_payload_text_is_what_json_dumps_writes(raw: Any) -> None:
    event = ErrorEvent(source="generic", message="boom", raw=raw)
    text = str(inbox_row(event).payload)
    payload = scrub_payload(event)
    payload["source_event_id"] = None
    assert text == json_dumps(payload)


def test_a_secret_in_raw_is_scrubbed_in_the_stored_text() -> None:
    event = ErrorEvent(source="generic", raw={"note": "key AKIAQWERTYUIOPASDF12"})
    stored = orjson.loads(str(inbox_row(event).payload))
    assert "AKIAQWERTYUIOPASDF12" not in stored["raw"]["note"]
