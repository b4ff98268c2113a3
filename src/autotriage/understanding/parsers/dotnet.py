""".NET exceptions as ``Exception.ToString()`` prints them.

``System.InvalidOperationException: outer ---> System.ArgumentException: inner`` (older
runtimes on one line, newer ones put each `` ---> `` on its own line), frames newest first
``   at Ns.Type.Method(String arg) in /src/File.cs:line 42``, and a
``   --- End of inner exception stack trace ---`` line after each inner exception's frames:
the innermost exception's frames come first. ``Unhandled exception.`` prefixes are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autotriage.models import Frame
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    linked,
    make_frame,
    matching_open,
    split_dotted,
    to_int,
)

PLATFORM = "csharp"

_HEADER = re.compile(
    r"^\s*(?:Unhandled [Ee]xception[.:]\s*)?(?:--->\s*)?"
    r"(?P<type>[A-Za-z_][\w`]*(?:\.[A-Za-z_][\w`]*)+)(?: \(0x[0-9A-Fa-f]{8}\))?"
    r"(?::\s?(?P<value>.*))?$"
)
# "   at Ns.Type.Method(String a) in /src/F.cs:line 42"; Mono writes "Method (String a)
# [0x00012] in /src/F.cs:42" (or "in <filename unknown>:0"); Ben.Demystifier puts the
# return type first ("at async Task<string> Ns.Type.MethodAsync(int v) in ...").
_LOCATION_END = re.compile(r"(?::line |:)(\d{1,9})$")
# What sits in parentheses of other runtimes' "at" lines: a JVM source or a JS location.
_FOREIGN_ARGS = re.compile(
    r"^(?:[\w$.-]+\.(?:java|kt|scala)(?::\d+)?|Native Method|Unknown Source|native"
    r"|<anonymous>|eval at .*)$|:\d+(?::\d+)?$|^[a-z][\w+.-]*://"
)
_END_INNER = re.compile(r"^\s*--- End of inner exception stack trace ---\s*$")
_END_ASYNC = re.compile(r"^\s*--- End of stack trace from previous location[^-]*---\s*$")
_INNER = " ---> "
_LOOKAHEAD = 10


@dataclass(frozen=True, slots=True)
class _Parts:
    qualified: str
    args: str
    path: str | None
    lineno: str | None
    offset: str | None = None
    """Mono's IL offset (``[0x0001c]``)."""
    is_async: bool = False
    suffix: str | None = None
    """Ben.Demystifier's lambda or iterator part after ``+`` (``() => { }``, ``MoveNext()``)."""


def _split(line: str) -> _Parts | None:
    """``at [async] [ReturnType] Method(args) [[0x..]] [in file:line N]`` into its parts."""
    text = line.strip()
    if not text.startswith("at "):
        return None
    text = text[3:]
    is_async = text.startswith("async ")
    text = text.removeprefix("async ")
    # Ben.Demystifier names a lambda or an iterator after its method: "M()+() => { }",
    # "Iterator()+MoveNext()"; the frame is the method's, the suffix kept in `suffix`.
    suffix = None
    plus = text.find(")+")
    if plus > 0:
        rest = text[plus + 2 :]
        cut = rest.rfind(" in ")
        suffix = rest[:cut] if cut >= 0 else rest
        text = text[: plus + 1] + (rest[cut:] if cut >= 0 else "")
    close = max(text.rfind(") in "), text.rfind(") [0x"))
    if close < 0:
        close = len(text) - 1 if text.endswith(")") else -1
    opening = matching_open(text, close) if close >= 0 else None
    head = text[:opening].rstrip() if opening is not None else ""
    if opening is None or not head:
        return None
    args = text[opening + 1 : close].strip()
    tail = text[close + 1 :].strip()
    offset = None
    if tail.startswith("[0x"):
        offset = tail[1 : tail.find("]")] if "]" in tail else None
        tail = tail[tail.find("]") + 1 :].strip() if "]" in tail else "?"
    qualified = head.rsplit(None, 1)[-1]
    if not tail:
        return _Parts(qualified, args, None, None, offset, is_async, suffix)
    where = _LOCATION_END.search(tail) if tail.startswith("in ") else None
    if where is None:
        return None
    path = tail[3 : where.start()]
    return _Parts(qualified, args, path, where.group(1), offset, is_async, suffix)


def frame_of(line: str) -> Frame | None:
    """A .NET frame line as a `Frame`, or None."""
    if "at " not in line:
        return None
    parts = _split(line)
    if parts is None:
        return None
    if parts.args and not parts.path and _FOREIGN_ARGS.search(parts.args):
        return None  # a JVM frame ("Foo.java:12") or a JavaScript one ("/app/x.js:1:2")
    module, method = split_dotted(parts.qualified)
    # Ben.Demystifier marks async methods "async Task<T> M()", .NET's own "<M>d__4.MoveNext".
    is_async = parts.is_async or (method == "MoveNext" and ">d__" in (module or ""))
    return make_frame(
        PLATFORM,
        filename=parts.path,
        abs_path=parts.path,
        module=module,
        function=method,
        lineno=to_int(parts.lineno),
        instruction_offset=parts.offset,
        is_async=is_async,
        raw_function=f"{method}()+{parts.suffix}" if parts.suffix else None,
    )


# A type after a label on its line ("Caught Unexpected exception:System.IO.IOException: m").
_INLINE = re.compile(r"(?<=[:\s])(?:[A-Z]\w*\.)+\w*(?:Exception|Error)(?=: | \(0x|$)")


def _headless(lines: Sequence[str], start: int) -> Trace | None:
    """Frames with no header above them (the header cut off), from ``lines[start]``: a frame
    of .NET's own shape (``Ns.Type.Method(...)``) or an async boundary line before one."""
    first = 1 if _END_ASYNC.match(lines[start]) else 0
    if start + first >= len(lines):
        return None
    frame = frame_of(lines[start + first])
    if (
        frame is None
        or (frame.module or "").count(".") < 1
        or frame_of(lines[start - 1] if start else "")
    ):
        return None
    return _read(lines, start, start, [("Error", "")])


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A .NET exception whose header is ``lines[start]``, or None."""
    line = lines[start]
    if "at " in line or "---" in line:
        headless = _headless(lines, start)
        if headless is not None:
            return headless
    if "." not in line or ("Exception" not in line and "Error" not in line):
        return None  # the type must be dotted and end in one of them
    head = _HEADER.match(line)
    if head is None:
        inline = _INLINE.search(line)
        head = _HEADER.match(line[inline.start() :]) if inline else None
        line = line[inline.start() :] if inline else line
    if head is None or not head["type"].endswith(("Exception", "Error")):
        return None
    header_text = [line.strip()]
    i = start + 1
    while i < len(lines) and i - start <= _LOOKAHEAD and frame_of(lines[i]) is None:
        if not lines[i].strip():
            return None
        header_text.append(lines[i].strip())
        i += 1
    if i >= len(lines) or frame_of(lines[i]) is None:
        return None
    # Split "A: a ---> B: b ---> C: c" into the chain, outermost first (an arrow a paste
    # wrapped, "---" then "> B: b", too).
    joined = "\n".join(header_text).replace("\n--->", _INNER).replace("\n --->", _INNER)
    joined = joined.replace(" ---\n> ", _INNER)
    parts = [p.strip() for p in (" " + joined).split(_INNER)]
    headers: list[tuple[str, str]] = []
    for part in parts:
        match = _HEADER.match(part.split("\n", 1)[0])
        if match is None:
            if headers:  # a message line containing "--->": keep it in the value
                type_, value = headers[-1]
                headers[-1] = (type_, f"{value} ---> {part}")
            continue
        rest = part.split("\n", 1)[1] if "\n" in part else ""
        headers.append((match["type"], "\n".join(filter(None, [match["value"] or "", rest]))))
    if not headers:
        return None
    return _read(lines, start, i, headers)


def _read(lines: Sequence[str], start: int, i: int, headers: list[tuple[str, str]]) -> Trace:
    """The frames from ``lines[i]`` on, in sections split at each end of an inner exception,
    paired with `headers` (outermost first) from the inside out."""
    sections: list[list[Frame]] = [[]]
    while i < len(lines):
        line = lines[i]
        if len(sections[-1]) >= MAX_FRAMES and line.lstrip().startswith("at "):
            i += 1  # past the frames kept, a line of a frame's shape only says the trace goes on
            continue
        frame = frame_of(line)
        if frame is not None:
            sections[-1].append(frame)
        elif _END_INNER.match(line):
            sections.append([])
        elif not _END_ASYNC.match(line):
            break
        i += 1
    # Sections run innermost first; pair them with the headers from the inside out.
    exceptions = []
    for depth, (type_, value) in enumerate(reversed(headers)):
        frames = sections[depth] if depth < len(sections) else []
        exceptions.append(exception(type_, value, list(reversed(frames))))
    return Trace(PLATFORM, linked(exceptions), start, i)
