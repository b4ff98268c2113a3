"""Rust panics, as the default panic hook prints them, with ``RUST_BACKTRACE`` frames.

Rust 1.73 and later print ``thread 'main' panicked at src/main.rs:4:5:`` and the message on
the lines after it (1.9x put the thread id in brackets after the name: ``thread 'main'
(23060) panicked at``); earlier ones ``thread 'main' panicked at 'message', src/main.rs:4:5``
(the message may span lines). ``RUST_BACKTRACE=1`` adds ``stack backtrace:`` and numbered
frames, newest first (``   3: app::parse`` then ``             at ./src/main.rs:5:13``);
``=full`` puts an address before each name (``0x55d1... - name``) and crate hashes in the
names (``std[e28293b1aa0f68bd]::...``).

The event reads as Sentry's Rust SDK reports a panic: type ``panic``, the message as value,
and the frames above the panic location (the panic machinery and the backtrace capture)
left out, so the crashing frame is the code that panicked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import Frame
from autotriage.understanding.parsers.base import MAX_FRAMES, Trace, exception, make_frame, to_int

PLATFORM = "rust"

_HEAD = re.compile(r"^thread '(?P<thread>[^'\n]{0,200})'(?: \(\d+\))? panicked at (?P<rest>.+)$")
_LOCATION = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):(?P<col>\d+):?$")
# The message of Rust before 1.73 ends with "', file:line:col" (on the head line or later).
_OLD_END = re.compile(r"^(?P<message>.*)', (?P<file>\S+?):(?P<line>\d+):(?P<col>\d+)$", re.DOTALL)
_FRAME = re.compile(r"^\s*\d{1,4}:\s+(?:0x[0-9a-f]+ - )?(?P<name>\S.*?)\s*$")
_AT = re.compile(r"^\s+at (?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?\s*$")
_HASH = re.compile(r"\[[0-9a-f]{16}\]|::h[0-9a-f]{16}$")
_MESSAGE_LINES = 50
# Frames of the panic itself, dropped when the panic location is not among the frames.
_MACHINERY = (
    "rust_begin_unwind",
    "__rustc::",
    "std::panicking::",
    "core::panicking::",
    "std::sys::backtrace::",
    "std::backtrace",
    "core::result::unwrap_failed",
    "core::option::expect_failed",
    "core::option::unwrap_failed",
)


def _message_end(line: str) -> bool:
    return not line.strip() or line.startswith(("stack backtrace:", "note: ", "thread '"))


def _head(lines: Sequence[str], start: int) -> tuple[str, Frame, int] | None:
    """The panic's message, its location as a frame, and the index past the message."""
    match = _HEAD.match(lines[start])
    if match is None:
        return None
    rest = match["rest"].strip()
    i = start + 1
    if rest.startswith("'"):  # before Rust 1.73: the message is quoted, the location last
        text = rest[1:]
        while _OLD_END.match(text) is None and i < len(lines) and i - start < _MESSAGE_LINES:
            if _message_end(lines[i]):
                return None
            text = f"{text}\n{lines[i]}"
            i += 1
        old = _OLD_END.match(text)
        if old is None:
            return None
        message, file, line, col = old["message"], old["file"], old["line"], old["col"]
    else:
        location = _LOCATION.match(rest)
        if location is None:
            return None
        file, line, col = location["file"], location["line"], location["col"]
        message_lines = []
        while i < len(lines) and i - start < _MESSAGE_LINES and not _message_end(lines[i]):
            message_lines.append(lines[i])
            i += 1
        message = "\n".join(message_lines)
    frame = make_frame(
        PLATFORM, filename=file, abs_path=file, lineno=to_int(line), colno=to_int(col)
    )
    return message, frame, i


def _backtrace(lines: Sequence[str], i: int) -> tuple[list[Frame], int]:
    """The numbered frames after ``stack backtrace:``, newest first, and the index past them."""
    frames: list[Frame] = []
    while i < len(lines):
        named = _FRAME.match(lines[i])
        if named is None:
            break
        name = _HASH.sub("", named["name"])
        at = _AT.match(lines[i + 1]) if i + 1 < len(lines) else None
        i += 2 if at else 1
        if len(frames) >= MAX_FRAMES:
            continue
        file = at["file"] if at else None
        module = name.rpartition("::")[0] or None
        frames.append(
            make_frame(
                PLATFORM,
                filename=file,
                abs_path=file,
                module=module,
                function=name,
                lineno=to_int(at["line"]) if at else None,
                colno=to_int(at["col"]) if at else None,
            )
        )
    return frames, i


def _same_place(frame: Frame, site: Frame) -> bool:
    # One of the two may be relative ("./src/main.rs", "src/main.rs") and the other not.
    path = (frame.abs_path or "").removeprefix("./")
    want = (site.abs_path or "").removeprefix("./")
    if not (path and want) or frame.lineno != site.lineno:
        return False
    return path.endswith(want) or want.endswith(path)


def _trimmed(frames: list[Frame], site: Frame) -> list[Frame]:
    """`frames` (newest first) from the one at the panic location, else past the machinery."""
    for index, frame in enumerate(frames):
        if _same_place(frame, site):
            return frames[index:]
    index = 0
    while index < len(frames) - 1 and (frames[index].function or "").startswith(_MACHINERY):
        index += 1
    return frames[index:]


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A Rust panic starting at ``lines[start]``, or None."""
    if "panicked at " not in lines[start]:
        return None
    head = _head(lines, start)
    if head is None:
        return None
    message, site, i = head
    frames = [site]
    while i < len(lines) and lines[i].startswith("note: "):
        i += 1
    if i < len(lines) and lines[i].strip() == "stack backtrace:":
        printed, i = _backtrace(lines, i + 1)
        frames = _trimmed(printed, site) or frames
        while i < len(lines) and lines[i].startswith("note: "):
            i += 1
    raised = exception("panic", message, list(reversed(frames)))
    return Trace(PLATFORM, [raised], start, i)
