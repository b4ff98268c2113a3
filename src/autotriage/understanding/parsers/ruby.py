"""Ruby backtraces, as the interpreter prints an uncaught exception.

``/app/models/user.rb:12:in 'User#save': message (ErrorClass)`` then
``\\tfrom /app/app.rb:3:in '<main>'`` lines, newest first. Ruby before 3.4 quotes the
method with a backtick (`` `save' ``), 3.4 with straight quotes and the owner
(``'User#save'``). A bare list of ``file:line:in 'method'`` lines (as loggers print
``exception.backtrace``) is read too, after an optional ``message (ErrorClass)`` line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import Frame
from autotriage.understanding.parsers.base import MAX_FRAMES, Trace, exception, make_frame, to_int

PLATFORM = "ruby"

_LOCATION = r"(?P<file>[^\s:][^:]*?):(?P<line>\d+):in [`'](?P<func>[^'`]*)'"
_TOP = re.compile(rf"^\s*{_LOCATION}(?::\s?(?P<rest>.*))?$")
_FROM = re.compile(rf"^\s*(?:from\s+)?{_LOCATION}\s*$")
_MESSAGE = re.compile(r"^(?P<value>.*) \((?P<type>[A-Z][\w:]*)\)\s*$")
_CLASS_FIRST = re.compile(r"^\s*(?P<type>[A-Z][\w]*(?:::[A-Z]\w*)*) \((?P<value>.*)\):?\s*$")


def _frame(match: re.Match[str]) -> Frame:
    func = match["func"]
    module = None
    for separator in ("#", "."):
        if separator in func and not func.startswith(("block ", "rescue ", "<")):
            module, _, func = func.rpartition(separator)
            break
    return make_frame(
        PLATFORM,
        filename=match["file"],
        abs_path=match["file"],
        module=module,
        function=func,
        lineno=to_int(match["line"]),
    )


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A Ruby backtrace starting at ``lines[start]``, or None."""
    first = lines[start]
    if ":in " not in first and " (" not in first:
        return None
    type_, value = "RuntimeError", ""
    frames: list[Frame] = []
    i = start
    top = _TOP.match(first)
    if top is not None and top["rest"] is not None:
        message = _MESSAGE.match(top["rest"])
        if message is None:
            return None
        type_, value = message["type"], message["value"]
        frames.append(_frame(top))
        i += 1
    else:
        header = _CLASS_FIRST.match(first) or _MESSAGE.match(first.strip())
        if header is not None and i + 1 < len(lines) and _FROM.match(lines[i + 1]):
            type_, value = header["type"], header["value"]
            i += 1
        elif _FROM.match(first) is None or i + 1 >= len(lines) or _FROM.match(lines[i + 1]) is None:
            return None
    while i < len(lines):
        match = _FROM.match(lines[i])
        if match is None:
            if re.match(r"^\s*\.\.\. \d+ levels\.\.\.\s*$", lines[i]):
                i += 1
                continue
            break
        if len(frames) < MAX_FRAMES:
            frames.append(_frame(match))
        i += 1
    if not frames:
        return None
    frames.reverse()
    return Trace(PLATFORM, [exception(type_, value, frames)], start, i)
