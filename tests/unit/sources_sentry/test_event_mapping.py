"""One Sentry event onto the model: mapped fields, and `raw` holding only the rest."""

from __future__ import annotations

from typing import Any

from autotriage.models import Frame
from autotriage.sources.sentry.event import event_from_sentry


def _event() -> dict[str, Any]:
    return {
        "event_id": "e" * 32,
        "level": "warning",
        "breadcrumbs": {"values": [{"category": "http", "message": "GET /cart"}]},
        "modules": {"django": "5.0"},
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'sku'",
                    "mechanism": {"type": "django", "handled": False},
                    "stacktrace": {
                        "frames": [
                            {"filename": "lib.py", "function": "get", "lineno": 3},
                            {
                                "filename": "shop/cart.py",
                                "function": "add",
                                "lineno": 41,
                                "in_app": True,
                                "vars": {"sku": "'A1'"},
                                "instruction_addr": "0x1f",
                            },
                        ]
                    },
                }
            ]
        },
    }


def test_frames_are_mapped_once_and_raw_keeps_what_fields_do_not_carry() -> None:
    event = event_from_sentry(_event())
    frames = event.exceptions[0].frames
    assert [(f.filename, f.lineno, f.in_app, f.instruction_addr) for f in frames] == [
        ("lib.py", 3, False, None),
        ("shop/cart.py", 41, True, "0x1f"),
    ]
    assert event.level == "warning"
    raw = event.raw
    assert "exception" not in raw and "event_id" not in raw and "level" not in raw
    assert raw["breadcrumbs"]["values"][0]["message"] == "GET /cart"
    assert raw["modules"] == {"django": "5.0"}
    assert raw["exception_extras"] == [
        {
            "exception": 0,
            "mechanism": {"type": "django", "handled": False},
            "frames": [{"frame": 1, "vars": {"sku": "'A1'"}}],
        }
    ]


def test_an_event_with_nothing_unmapped_keeps_an_empty_raw() -> None:
    event = event_from_sentry({"event_id": "a" * 32, "message": "boom", "level": "error"})
    assert event.message == "boom"
    assert event.raw == {}


def test_frames_differing_only_in_their_variables_share_one_validated_frame() -> None:
    def frame(**fields: object) -> dict[str, object]:
        return {"filename": "app.py", "lineno": 3, "function": "f", **fields}

    def frames_of(*raw: dict[str, object]) -> list[Frame]:
        stack = {"frames": list(raw)}
        event = event_from_sentry({"exception": {"values": [{"type": "E", "stacktrace": stack}]}})
        return event.exceptions[0].frames

    one, two, bare = frames_of(frame(vars={"a": "1"}), frame(vars={"a": "2"}), frame())
    assert one is two and one.lineno == 3
    assert bare == one
    (other,) = frames_of(frame(vars={"a": "1"}, lineno=4))
    assert other.lineno == 4  # a modeled field that differs is a different frame
    (nulled,) = frames_of(frame(vars=None, in_app=True))
    assert nulled.in_app is True


def test_a_frames_unmodeled_keys_stay_in_raw_in_the_frames_order() -> None:
    frames = [
        {"function": "a", "vars": {"x": "1"}},
        {"function": "b", "package": "/lib/x.so", "symbol": "b_", "vars": {"y": "2"}},
        {"function": "c"},
    ]
    exception = {"type": "E", "stacktrace": {"frames": frames}}
    event = event_from_sentry({"exception": {"values": [exception]}, "modules": {"m": "1"}})
    assert list(event.raw) == ["modules", "exception_extras"]
    assert event.raw["modules"] == {"m": "1"}
    extras = event.raw["exception_extras"][0]["frames"]
    assert extras == [
        {"frame": 0, "vars": {"x": "1"}},
        {"frame": 1, "package": "/lib/x.so", "symbol": "b_", "vars": {"y": "2"}},
    ]
    assert [list(extra) for extra in extras] == [
        ["frame", "vars"],
        ["frame", "package", "symbol", "vars"],
    ]
