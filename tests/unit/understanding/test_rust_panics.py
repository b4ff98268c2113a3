"""Rust panics: the message, the panic location and the frames above it left out."""

from __future__ import annotations

from autotriage.understanding.text import parse_text

BACKTRACE = """\
thread 'main' (23060) panicked at src/parse.rs:2:5:
index out of bounds: the len is 3 but the index is 7
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/5980/library/std/src/panicking.rs:689:5
   1: core::panicking::panic_bounds_check
             at /rustc/5980/library/core/src/panicking.rs:271:5
   2: app::parse::pick
             at ./src/parse.rs:2:5
   3: app::main
             at ./src/main.rs:7:20
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
"""


def test_a_backtrace_starts_at_the_panic_location_not_in_the_panic_machinery() -> None:
    (event,) = parse_text(BACKTRACE)
    (exc,) = event.exceptions
    assert (exc.type, exc.value) == (
        "panic",
        "index out of bounds: the len is 3 but the index is 7",
    )
    assert [(f.function, f.lineno) for f in exc.frames] == [
        ("app::main", 7),
        ("app::parse::pick", 2),
    ]
    assert exc.frames[-1].in_app
    assert event.platform == "rust"


def test_without_a_backtrace_the_panic_location_is_the_frame() -> None:
    text = (
        "thread 'worker' panicked at src/lib.rs:40:9:\nconfig missing\n"
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
        "2026-12-04 INFO next request"
    )
    events = parse_text(text)
    frame = events[0].exceptions[-1].frames[-1]
    assert (frame.filename, frame.lineno, frame.colno, frame.function) == (
        "src/lib.rs",
        40,
        9,
        None,
    )
    assert events[0].exceptions[-1].value == "config missing"


def test_the_quoted_message_of_rust_before_1_73_may_span_lines() -> None:
    text = (
        "thread 'main' panicked at 'assertion failed: `(left == right)`\n"
        "  left: `1`,\n right: `2`', src/main.rs:3:5\n"
    )
    (event,) = parse_text(text)
    exc = event.exceptions[-1]
    assert exc.value.endswith("right: `2`")
    assert (exc.frames[-1].filename, exc.frames[-1].lineno) == ("src/main.rs", 3)


def test_full_backtraces_lose_their_addresses_and_crate_hashes() -> None:
    text = (
        "thread 'main' panicked at src/main.rs:4:30:\nboom\nstack backtrace:\n"
        "   0:     0x555c4cda07fa - std[e28293b1aa0f68bd]::backtrace_rs::backtrace::trace\n"
        "                               at /rustc/5980/library/std/src/backtrace.rs:117:9\n"
        "   1:     0x555c4cd8c4ef - app[0123456789abcdef]::read_settings\n"
        "                               at ./src/main.rs:4:30\n"
    )
    (event,) = parse_text(text)
    assert [f.function for f in event.exceptions[-1].frames] == ["app::read_settings"]


def test_a_panic_word_in_prose_is_no_trace() -> None:
    (event,) = parse_text("the thread 'x' panicked at lunch, nothing to see")
    assert event.exceptions == []
