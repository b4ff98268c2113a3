"""One Sentry event onto the model: mapped fields, and `raw` holding only the rest."""

from __future__ import annotations

from typing import Any

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
