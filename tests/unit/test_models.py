"""The event model: Sentry's ordering conventions, titles and the replay shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level, payload_data


def test_the_raised_exception_is_last_and_the_crash_frame_is_the_last_in_app() -> None:
    cause = ExceptionInfo(type="KeyError", value="'sku'")
    raised = ExceptionInfo(
        type="OrderError",
        value="cannot price order 42\nsecond line",
        frames=[
            Frame(filename="app/a.py", in_app=True, lineno=1),
            Frame(filename="app/b.py", in_app=True, lineno=2),
            Frame(filename="/usr/lib/python3.11/json/decoder.py", in_app=False, lineno=3),
        ],
    )
    event = ErrorEvent(source="text", exceptions=[cause, raised])
    assert event.primary_exception is raised
    assert event.title == "OrderError: cannot price order 42"
    assert raised.crashing_frame is not None
    assert raised.crashing_frame.filename == "app/b.py"


def test_title_falls_back_to_the_message() -> None:
    assert (
        ErrorEvent(source="x", message="\n  disk full on /var  \nmore").title == "disk full on /var"
    )
    assert ErrorEvent(source="x").title == "(no message)"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("WARN", "warning"),
        ("Critical", "fatal"),
        ("err", "error"),
        ("trace", "debug"),
        ("nonsense", "error"),
        (None, "error"),
    ],
)
def test_levels_are_normalized(given: object, expected: str) -> None:
    assert normalize_level(given) == expected


def test_events_are_immutable_and_reject_unknown_fields() -> None:
    event = ErrorEvent(source="x")
    with pytest.raises(ValidationError):
        event.message = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ErrorEvent(source="x", surprise=1)  # type: ignore[call-arg]


def test_round_trip_through_json_keeps_everything() -> None:
    event = ErrorEvent(
        source="sentry",
        source_event_id="abc",
        tags={"k": "v"},
        fingerprint_hint=["{{ default }}", "x"],
        contexts={"user": {"id": 1}},
        exceptions=[ExceptionInfo(type="E", frames=[Frame(lineno=3, colno=4)])],
    )
    again = ErrorEvent.model_validate(event.model_dump(mode="json"))
    assert again == event


def _keys(value: Any) -> Any:
    """`value`'s dict keys in order, nested (what `==` on dicts does not compare)."""
    if isinstance(value, dict):
        return [(key, _keys(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_keys(item) for item in value]
    return None


@pytest.mark.parametrize(
    "event",
    [
        ErrorEvent(source="text"),
        ErrorEvent(
            source="sentry",
            source_event_id="abc",
            received_at=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
            occurred_at=datetime(2026, 1, 2, 4, 0, tzinfo=timezone(timedelta(hours=2))),
            level="fatal",
            tags={"a": "b"},
            fingerprint_hint=["{{ default }}"],
            exceptions=[
                ExceptionInfo(type="KeyError", value="'k'", link="cause"),
                ExceptionInfo(
                    type="OrderError",
                    frames=[
                        Frame(filename="a.py", lineno=3, in_app=True, pre_context=["x"]),
                        Frame(function="f", instruction_addr="0x1", is_async=True),
                    ],
                ),
            ],
            contexts={"user": {"id": 1}},
            raw={"modules": {"x": "1"}},
        ),
        ErrorEvent(source="otlp", received_at=datetime(2026, 1, 2), raw=[1, 2]),  # noqa: DTZ001 - naive
    ],
)
def test_payload_data_is_the_json_dump_of_the_typed_fields(event: ErrorEvent) -> None:
    expected = {
        **event.model_dump(mode="json", exclude={"contexts", "raw"}),
        "contexts": event.contexts,
        "raw": event.raw,
    }
    data = payload_data(event)
    assert data == expected
    assert _keys(data) == _keys(expected)
