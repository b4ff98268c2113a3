"""Frames keep what the runtime prints beyond file, line and function: addresses and offsets,
async marks and the name as printed; the fields round-trip through Sentry's protocol and the
stored payload, and payloads stored before the fields existed still load."""

from __future__ import annotations

from pathlib import Path

from autotriage.models import ErrorEvent, Frame
from autotriage.sources.sentry.event import event_from_sentry
from autotriage.understanding.text import parse_text

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "traces" / "real"


def _frames(name: str) -> list[Frame]:
    (event,) = parse_text((REAL / name).read_text(encoding="utf-8"))
    return event.exceptions[-1].frames


def test_go_frames_keep_the_pc_offset_and_gotraceback_systems_address() -> None:
    frames = _frames("go/here__index_gotraceback_system.txt")
    main = next(f for f in frames if f.function == "main" and f.module == "main")
    assert (main.lineno, main.instruction_offset, main.instruction_addr) == (8, "0x1d", "0x457c7d")
    inlined = next(f for f in frames if f.function == "pick")  # "main.pick(...)": no offset
    assert (inlined.instruction_offset, inlined.instruction_addr) == (None, None)


def test_go_default_traceback_has_offsets_but_no_addresses() -> None:
    frames = _frames("go/here__nil_pointer.txt")
    assert all(f.instruction_addr is None for f in frames)
    # main.greet was inlined into main.main: Go prints "(...)" and no offset for it.
    assert [(f.function, f.instruction_offset) for f in frames[-2:]] == [
        ("main", "0x16"),
        ("greet", None),
    ]


def test_v8_async_frames_are_marked_and_keep_their_name() -> None:
    frames = _frames("javascript/stacktrace_parser_chrome_76.txt")
    assert [(f.function, f.is_async) for f in frames] == [("foo", True), ("bar", False)]


def test_v8_aliases_and_constructors_keep_the_printed_name() -> None:
    frames = _frames("javascript/stacktrace_parser_chrome_48_blob.txt")
    aliased = next(f for f in frames if f.function == "Object.d")
    assert aliased.raw_function == "Object.d [as add]"
    # Old V8's "at Error (native)" (the Error constructor) is not the newest frame.
    assert (frames[-1].function, frames[-1].lineno) == ("s", 31)


def test_firefox_closure_markers_are_kept_beside_the_normalized_name() -> None:
    newest = _frames("javascript/stacktrace_parser_firefox_44_ns_exception.txt")[-1]
    assert newest.function == "[2]</Bar.prototype._baz"
    assert newest.raw_function == "[2]</Bar.prototype._baz/</<"


def test_safari_name_only_frames_are_read_and_eval_code_alone_is_not() -> None:
    frames = _frames("javascript/error_stack_parser_safari_9_nested_eval.txt")
    assert [(f.function, f.filename) for f in reversed(frames)][:3] == [
        ("baz", None),
        ("foo", None),
        ("eval", "[native code]"),
    ]


def test_mono_frames_keep_the_il_offset() -> None:
    frames = _frames("dotnet/fluent_plugin_detect_exceptions_csharp_exc.txt")
    assert frames[-1].instruction_offset == "0x00000"
    assert frames[-1].filename == "<filename unknown>"


def test_dotnet_async_state_machines_and_demystified_async_are_marked() -> None:
    frames = _frames("dotnet/fluent_plugin_detect_exceptions_csharp_async_exc.txt")
    move_next = [f for f in frames if f.function == "MoveNext"]
    assert move_next and all(f.is_async for f in move_next)
    assert not frames[-1].is_async  # LowestLevelMethod is a plain method
    (event,) = parse_text(
        "System.InvalidOperationException: no\n"
        "   at async Task<string> Shop.Orders.LoadAsync(int id) in /src/Orders.cs:line 12\n"
    )
    frame = event.exceptions[0].frames[0]
    assert (frame.function, frame.lineno, frame.is_async) == ("LoadAsync", 12, True)


def test_sentry_frame_addresses_and_raw_names_round_trip_through_the_stored_payload() -> None:
    frame = {
        "function": "Bar.prototype._baz",
        "raw_function": "[2]</Bar.prototype._baz/</<",
        "filename": "app.js",
        "lineno": 3,
        "instruction_addr": "0x4579c1",
        "addr_mode": "rel:0",
    }
    event = event_from_sentry(
        {
            "event_id": "e" * 32,
            "exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]},
        }
    )
    got = event.exceptions[0].frames[0]
    assert (got.raw_function, got.instruction_addr, got.addr_mode) == (
        "[2]</Bar.prototype._baz/</<",
        "0x4579c1",
        "rel:0",
    )
    assert "exception_extras" not in event.raw  # nothing of the frame was left unmapped
    assert ErrorEvent.model_validate(event.model_dump(mode="json")) == event


def test_payloads_stored_before_the_new_frame_fields_still_load() -> None:
    old = {
        "source": "text",
        "raw": "x",
        "exceptions": [
            {
                "type": "ValueError",
                "value": "bad",
                "frames": [{"filename": "a.py", "lineno": 1, "function": "f", "in_app": True}],
            }
        ],
    }
    frame = ErrorEvent.model_validate(old).exceptions[0].frames[0]
    assert (frame.function, frame.raw_function, frame.instruction_addr, frame.is_async) == (
        "f",
        None,
        None,
        False,
    )


def test_demystified_lambda_frames_are_frames_not_message_lines() -> None:
    (event,) = parse_text(
        (REAL / "dotnet/ben_demystifier_methodtests_demistifiesmethodwithlambda.txt").read_text(
            encoding="utf-8"
        )
    )
    (exc,) = event.exceptions
    assert exc.value == "Value does not fall within the expected range."
    assert [(f.function, f.raw_function) for f in reversed(exc.frames)] == [
        ("MethodWithLambda", "MethodWithLambda()+() => { }"),
        ("MethodWithLambda", None),
        ("DemistifiesMethodWithLambda", None),
    ]
