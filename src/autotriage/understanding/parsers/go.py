"""Go panics and fatal errors with their goroutine dump.

``panic: message`` (``[recovered]`` and nested panics included, ``runtime error: ...`` for
the runtime's own), optional ``[signal ...]`` line, then ``goroutine N [running]:`` and
pairs of lines per frame, newest first: ``pkg.Func(args)`` then ``\\t/path/file.go:12 +0x1d``;
``created by pkg.Func in goroutine N`` closes the dump as its oldest frame. Only the first
goroutine (the one that panicked) is read; the others are counted.
Format: https://pkg.go.dev/runtime (and runtime/traceback.go).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import Frame
from autotriage.understanding.parsers.base import MAX_FRAMES, Trace, exception, make_frame, to_int

PLATFORM = "go"

_PANIC = re.compile(
    r"^\s*(?P<kind>panic|fatal error|fatal):\s?(?P<value>.*?)(?P<recovered> \[recovered\])?\s*$"
)
_GOROUTINE = re.compile(r"^\s*goroutine \d+ \[[^\]]*\]:\s*$")
_CALL = re.compile(
    r"^\s*(?P<created>created by )?(?P<func>[^\s(][^\s]*?)(?:\((?P<args>[^)]*)\))?"
    r"(?: in goroutine \d+)?\s*$"
)
_LOCATION = re.compile(r"^\s+(?P<file>\S+\.(?:go|s|c)):(?P<line>\d+)(?: \+0x[0-9a-f]+)?\s*$")
_LOOKAHEAD = 12


def _split_func(qualified: str) -> tuple[str | None, str]:
    # "github.com/acme/api/handlers.(*Server).Get": module ".../handlers", "(*Server).Get"
    slash = qualified.rfind("/")
    dot = qualified.find(".", slash + 1)
    if dot <= 0:
        return None, qualified
    return qualified[:dot], qualified[dot + 1 :]


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A Go panic (message, then the goroutine dump) starting at ``lines[start]``, or None."""
    first = lines[start]
    if "panic" not in first and "fatal" not in first:
        return None
    panic = _PANIC.match(first)
    if panic is None:
        return None
    values = [panic["value"]]
    i = start + 1
    # Nested panics ("panic: a [recovered]\n\tpanic: b") and the signal line come first.
    while i < len(lines) and i - start <= _LOOKAHEAD and not _GOROUTINE.match(lines[i]):
        nested = _PANIC.match(lines[i])
        if nested is not None:
            values.append(nested["value"])
        elif lines[i].strip() and not lines[i].lstrip().startswith("[signal"):
            return None
        i += 1
    if i >= len(lines) or not _GOROUTINE.match(lines[i]):
        # A panic message without a dump (truncated): still an error worth reporting.
        return Trace(PLATFORM, [exception(panic["kind"], values[-1], [])], start, start + 1)
    i += 1
    frames: list[Frame] = []
    while i + 1 < len(lines):
        call = _CALL.match(lines[i])
        location = _LOCATION.match(lines[i + 1])
        if call is None or location is None:
            break
        module, function = _split_func(call["func"])
        if len(frames) < MAX_FRAMES:
            frames.append(
                make_frame(
                    PLATFORM,
                    filename=location["file"],
                    abs_path=location["file"],
                    module=module,
                    function=function,
                    lineno=to_int(location["line"]),
                )
            )
        i += 2
        if call["created"]:
            break
    frames.reverse()
    kind = panic["kind"]
    exc = exception(kind if kind != "fatal" else "fatal error", values[-1], frames)
    return Trace(PLATFORM, [exc], start, i)
