"""Python tracebacks, as the interpreter and the `logging`/`traceback` modules print them.

Reads chained exceptions ("The above exception was the direct cause..." and "During
handling of the above exception..."), ``SyntaxError`` blocks (a frame without a function,
the offending source line and a caret), the 3.11+ caret/tilde lines under source lines,
``ExceptionGroup`` trees (the ``|``-drawn boxes, flattened leaves-first so the group that
was raised comes last), ``<frozen ...>`` frames, "[Previous line repeated N more times]" and
multiprocessing's quoted ``RemoteTraceback`` of a worker (the cause of the parent's error).
A trace may start at a frame line when the header was lost to truncation. Tracebacks
drawn by rich are read by `autotriage.understanding.parsers.python_rich`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence

from autotriage.models import ExceptionInfo, Frame
from autotriage.understanding.parsers import python_rich
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    indent,
    make_frame,
    to_int,
)

PLATFORM = "python"

_HEADER = re.compile(r"^\s*(?:\+\s*)?(?:Exception Group )?Traceback \(most recent call last\):\s*$")
# loguru marks the frame that raised with "> File"; its diagnose mode draws each
# variable's value under the source line ("│   └ 0"): both are read, the drawing skipped.
_FRAME = re.compile(
    r'^\s*(?:> )?File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$'
)
_EXC = re.compile(r"^(?P<type>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?::\s?(?P<value>.*))?$")
_CARET = re.compile(r"^\s*[\^~]+[\s\^~]*$")
_CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_REPEATED = re.compile(r"^\s*\[Previous line repeated (\d+) more times?\]\s*$")
# The box drawing of ExceptionGroup tracebacks: "  | ", "+-+---- 1 ----", "+------".
_BOX_PREFIX = re.compile(r"^[ ]*\|[ ]?")
_BOX_RULE = re.compile(r"^\s*\+[-+]*(?:\s*\d+\s*-*|\s*\.\.\.\s*and \d+ more exceptions?\s*-*)?\s*$")


def _unbox(lines: Sequence[str], start: int) -> tuple[list[tuple[int, str]], int]:
    """Lines of an ExceptionGroup drawing with their nesting depth, and where it ends."""
    out: list[tuple[int, str]] = []
    depth_of_indent: dict[int, int] = {}
    i = start
    while i < len(lines):
        line = lines[i]
        if _BOX_RULE.match(line):
            i += 1
            if line.strip().startswith("+---") and line.strip().strip("+-") == "":
                # A closing rule: the box that holds it is over.
                continue
            continue
        stripped = line.lstrip(" ")
        if not (stripped.startswith("|") or stripped.startswith("+ Exception Group")):
            break
        pipe = len(line) - len(stripped)
        depth = depth_of_indent.setdefault(pipe, len(depth_of_indent))
        text = stripped[2:] if stripped.startswith("+ ") else _BOX_PREFIX.sub("", stripped)
        out.append((depth, text))
        i += 1
    return out, i


def _read_block(lines: Sequence[str], i: int, end: int) -> tuple[list[Frame], int]:
    """Frames from ``lines[i]`` on, stopping before the exception line."""
    # Only the newest MAX_FRAMES are kept, and they come last: frames are built from the
    # kept lines only, so a runaway recursion of thousands of lines builds 500.
    found: deque[tuple[re.Match[str], str | None]] = deque(maxlen=MAX_FRAMES)
    while i < end:
        line = lines[i]
        match = _FRAME.match(line) if 'File "' in line else None
        if match:
            code, i = _source_line(lines, i + 1, end, indent(line))
            found.append((match, code))
            continue
        if (
            not line.strip()
            or ("[Previous" in line and _REPEATED.match(line))
            or (("^" in line or "~" in line) and _CARET.match(line))
            or _is_diagnose(line)
        ):
            i += 1
            continue
        break
    frames = [
        make_frame(
            PLATFORM,
            filename=match["file"],
            abs_path=match["file"],
            function=match["func"].strip() if match["func"] else None,
            lineno=to_int(match["line"]),
            context_line=code,
        )
        for match, code in found
    ]
    return frames, i


def _is_diagnose(line: str) -> bool:
    text = line.strip()
    return bool(text) and text[0] in "│└"


def _source_line(
    lines: Sequence[str], i: int, end: int, frame_indent: int
) -> tuple[str | None, int]:
    """The source line under a frame (more indented than it), skipping caret lines."""
    if i >= end:
        return None, i
    line = lines[i]
    if not line.strip() or indent(line) <= frame_indent or _FRAME.match(line):
        return None, i
    code = line.strip()
    i += 1
    while i < end and (_CARET.match(lines[i]) or _is_diagnose(lines[i])):
        i += 1
    return code, i


def _read_exception_line(
    lines: Sequence[str], i: int, end: int
) -> tuple[ExceptionInfo | None, int]:
    """``Type: value`` (or a bare ``Type``), or None when the line is something else."""
    if i >= end:
        return None, i
    match = _EXC.match(lines[i].strip())
    if not match:
        return None, i
    value = [match["value"] or ""]
    base = indent(lines[i])
    i += 1
    # A multi-line value continues on indented lines; an unindented line after the
    # exception is the log's next record, not part of this message.
    while i < end and lines[i].strip() and indent(lines[i]) > base and not _stops_value(lines[i]):
        value.append(lines[i].strip())
        i += 1
        if len(value) > 50:
            break
    return ExceptionInfo(type=match["type"], value="\n".join(value).strip()), i


def _stops_value(line: str) -> bool:
    text = line.strip()
    return bool(
        _HEADER.match(line) or text in _CHAIN or _FRAME.match(line) or _BOX_RULE.match(line)
    )


def _read_traceback(lines: Sequence[str], i: int, end: int) -> tuple[ExceptionInfo | None, int]:
    """One ``Traceback ...`` block (or a headless frame list), ending with its exception."""
    if i < end and _HEADER.match(lines[i]):
        i += 1
    frames, i = _read_block(lines, i, end)
    exc, i = _read_exception_line(lines, i, end)
    if exc is None:
        if not frames:
            return None, i
        # Truncated: frames but no exception line survived.
        return exception("Error", "", frames), i
    return exception(exc.type, exc.value, frames), i


def _read_group(lines: Sequence[str], start: int) -> tuple[list[ExceptionInfo], int]:
    """An ExceptionGroup drawing, flattened: leaves first, each group after its members."""
    boxed, end = _unbox(lines, start)
    texts = [text for _, text in boxed]
    depths = [depth for depth, _ in boxed]
    found: list[tuple[int, ExceptionInfo]] = []
    i = 0
    while i < len(texts):
        if _HEADER.match(texts[i]) or _FRAME.match(texts[i]):
            exc, nxt = _read_traceback(texts, i, len(texts))
        else:
            exc, nxt = _read_exception_line(texts, i, len(texts))
            if exc is not None:
                exc = exception(exc.type, exc.value, [])
        if exc is None or nxt <= i:
            i += 1
            continue
        found.append((depths[i], exc))
        i = nxt
    # Deeper exceptions first, so each group follows the members it holds; stable within a depth.
    ordered = [exc for _, exc in sorted(found, key=lambda pair: -pair[0])]
    return ordered, end


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A Python traceback (with its chain) starting at ``lines[start]``, or None."""
    first = lines[start]
    if "Traceback" not in first and 'File "' not in first:
        return None
    if "╭" in first:
        return python_rich.parse(lines, start)
    if not (_HEADER.match(first) or _FRAME.match(first)):
        return None
    chain: list[ExceptionInfo] = []
    i = start
    end = len(lines)
    while True:
        if lines[i].lstrip().startswith("+ Exception Group") or lines[i].lstrip().startswith("| "):
            group, i = _read_group(lines, i)
            chain.extend(group)
        else:
            exc, i = _read_traceback(lines, i, end)
            if exc is None:
                break
            chain.append(exc)
        j = i
        # multiprocessing quotes the worker's traceback ('RemoteTraceback: """ ... """'),
        # the cause of the exception re-raised in the parent.
        while j < end and (not lines[j].strip() or lines[j].strip() == '"""'):
            j += 1
        if j < end and lines[j].strip() in _CHAIN and chain:
            link = "cause" if lines[j].strip() == _CHAIN[0] else "context"
            chain[-1] = chain[-1].model_copy(update={"link": link})
            j += 1
            while j < end and not lines[j].strip():
                j += 1
            if j < end and (_HEADER.match(lines[j]) or _FRAME.match(lines[j])):
                i = j
                continue
        break
    if not chain:
        return None
    if chain[-1].link:  # a chain line with nothing readable after it links to nothing
        chain[-1] = chain[-1].model_copy(update={"link": None})
    if len(chain) == 1 and start > 0 and _FRAME.match(first):
        chain = [_newest_first(chain[0], lines[start - 1])]
    return Trace(PLATFORM, chain, start, max(i, start + 1))


# Rollbar (and error pages like it) print "Type: message" and then the frames in Python's
# "File" form but newest first, with no exception line after them.
_ABOVE = re.compile(r"^(?P<type>[A-Z]\w*(?:(?:\.|::)[A-Za-z_]\w*)*): (?P<value>.*)$")


def _newest_first(exc: ExceptionInfo, above: str) -> ExceptionInfo:
    """A headless frame list that ended with no exception line, read as that shape when the
    line above it names an exception."""
    named = _ABOVE.match(above.strip()) if exc.type == "Error" and not exc.value else None
    if named is None or not named["type"].endswith(("Error", "Exception", "Interrupt", "Exit")):
        return exc  # ("ERROR: request failed" above a cut-off traceback is a log line)
    return exception(named["type"], named["value"], list(reversed(exc.frames)))
