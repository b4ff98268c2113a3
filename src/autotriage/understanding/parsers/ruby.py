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

# A file is "<internal:kernel>", a Windows "C:/app/x.rb" or any path without a colon; the
# line is missing where Ruby has none ("config.ru:in 'new'").
_FILE = r"(?P<file><internal:[^>\n]{1,100}>|(?:[A-Za-z]:)?[^\s:][^:]*?)"
# (A paste may close the name with a backtick, the end of a Markdown code span.)
_LOCATION = rf"{_FILE}(?::(?P<line>\d+))?:in [`'](?P<func>[^'`]*)[`']"
_TOP = re.compile(rf"^\s*{_LOCATION}(?::\s?(?P<rest>.*))?$")
# A bare "file:line" (a backtrace array's line) has no ":in" to vouch for it, so its file
# may not end in a space: "stderr F listening on :8080" is a log line, not a frame.
_BARE_FILE = r"(?P<bfile><internal:[^>\n]{1,100}>|(?:[A-Za-z]:)?[^\s:](?:[^:]*?[^\s:])?)"
_FROM = re.compile(rf"^\s*(?:from\s+)?(?:{_LOCATION}|{_BARE_FILE}:(?P<bare>\d+))\s*$")
_MESSAGE = re.compile(r"^(?P<value>.*) \((?P<type>[A-Z][\w:]*)\)\s*$")
_CLASS_FIRST = re.compile(r"^\s*(?P<type>[A-Z][\w]*(?:::[A-Z]\w*)*) \((?P<value>.*)\):?\s*$")


# Rails' backtrace cleaner names a gem's frames "name (version) path".
_GEM_FRAME = re.compile(r"^[\w.-]{1,100} \([\w.]{1,40}\) (?P<path>\S.*)$")


def _frame(match: re.Match[str]) -> Frame:
    func = match["func"]
    if func is None:  # "file:line" alone, as in a backtrace array
        return make_frame(
            PLATFORM, filename=match["bfile"], abs_path=match["bfile"], lineno=to_int(match["bare"])
        )
    module = None
    for separator in ("#", "."):
        if separator in func and not func.startswith(("block ", "rescue ", "<")):
            module, _, func = func.rpartition(separator)
            break
    path = match["file"]
    gem = _GEM_FRAME.match(path) if " (" in path else None
    if gem is not None:
        path = gem["path"]
    return make_frame(
        PLATFORM,
        filename=path,
        abs_path=path,
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
    top = _TOP.match(first) if ":in " in first else None
    if top is not None and top["rest"] is not None:
        message = _MESSAGE.match(top["rest"])
        if message is None:
            return None
        type_, value = message["type"], message["value"]
        frames.append(_frame(top))
        i = _after_highlight(lines, i + 1)
    else:
        ends = first.rstrip().endswith((")", "):"))  # both header forms end so
        header = (_CLASS_FIRST.match(first) or _MESSAGE.match(first.strip())) if ends else None
        after = i + 1
        # Rails logs "Type (message):" then a blank line, then the frames.
        while (
            header is not None and after < len(lines) and after - i < 3 and not lines[after].strip()
        ):
            after += 1
        if header is not None and after < len(lines) and _may_be_frame(lines[after]):
            type_, value = header["type"], header["value"]
            i = after
        elif not _bare_backtrace(lines, i):
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
    raised = exception(type_, value, frames)
    # Ruby 3.1+ prints an exception's cause right after its backtrace, as a second
    # "file:line:in 'm': message (Type)" block with no line between them.
    # The same block again is a second report (a thread's, then the main thread's), no cause.
    cause = _TOP.match(lines[i]) if i < len(lines) and lines[i] != lines[start] else None
    if cause is not None and cause["rest"]:
        rest = parse(lines, i)
        if rest is not None and rest.exceptions:
            *earlier, last = rest.exceptions  # the cause's own chain is linked already
            chain = [*earlier, last.model_copy(update={"link": "cause"}), raised]
            return Trace(PLATFORM, chain, start, rest.end)
    return Trace(PLATFORM, [raised], start, i)


_COLON_DIGIT = re.compile(r":\d")


def _may_be_frame(line: str) -> bool:
    """Whether `line` is a frame (``file:line`` with or without ``:in 'm'``); the plain
    tests first, as a header-like log line is often followed by one that is none."""
    return (":in " in line or _COLON_DIGIT.search(line) is not None) and bool(_FROM.match(line))


def _after_highlight(lines: Sequence[str], i: int) -> int:
    """Past error_highlight's snippet (a blank line, the source line, carets) and
    did_you_mean's suggestion, if they are here."""
    j = i
    while j < len(lines) and j - i < 4 and not _FROM.match(lines[j]):
        text = lines[j].strip()
        # did_you_mean's "Did you mean?  items" line is the message's last line, unindented.
        if text and not lines[j].startswith((" ", "\t")) and not text.startswith("Did you mean?"):
            return i
        j += 1
    return j if j < len(lines) and j > i and _FROM.match(lines[j]) else i


def _bare_backtrace(lines: Sequence[str], i: int) -> bool:
    """A backtrace array without its exception: it starts with a frame that has ``:in``.

    Whatever follows (a blank line, more frames, the next log line) does not matter: a
    ``file:line:in 'method'`` line is a Ruby frame wherever it is logged.
    """
    first = _FROM.match(lines[i]) if ":in " in lines[i] else None
    return first is not None and first["func"] is not None
