"""JVM stacks (Java, Kotlin, Scala, Groovy), as ``Throwable.printStackTrace`` prints them.

``Exception in thread "x" pkg.Type: message``, ``\\tat pkg.Class.method(File.java:12)``
frames newest first (with ``java.base/`` module prefixes and logback's ``~[jar:?]``
suffixes), ``Caused by:`` blocks (their ``... N more`` frames are the enclosing trace's
oldest N, filled back in), ``Suppressed:`` blocks (read past: they are not the cause) and
logback's ``... N common frames omitted``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from autotriage.models import Frame
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    linked,
    make_frame,
    split_dotted,
    to_int,
)

PLATFORM = "java"

_HEADER = re.compile(
    r'^\s*(?:Exception in thread "(?P<thread>[^"]*)"\s+)?'
    r"(?P<type>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?::\s?(?P<value>.*))?$"
)
_FRAME = re.compile(
    r"^\s*at\s+(?:[\w.$-]+(?:@[\w.-]+)?/+)?(?P<method>[^\s()/]+)"
    # logback's packaging data ("~[app.jar:1.2]"), its end cut off where a log line was cut.
    # (and a reader's "// note" after a pasted frame).
    r"\((?P<src>[^()]*)\)(?:\s*~?\[[^\]]*\]?)?(?:\s+//.*)?\s*$"
)
_SOURCE = re.compile(r"^(?P<file>[^:]+?)(?::(?P<line>\d+))?$")
_MORE = re.compile(r"^\s*\.\.\. (?P<n>\d+) (?:more|common frames omitted)\s*$")
_CAUSED = re.compile(r"^\s*Caused by:\s+(?P<type>[\w$.]+)(?::\s?(?P<value>.*))?$")
_SUPPRESSED = re.compile(r"^\s*Suppressed:\s+(?P<type>[\w$.]+)(?::\s?(?P<value>.*))?$")
_JVM_SOURCE = re.compile(
    r"^(?:Native Method|Unknown Source|<generated>"
    r"|[\w$.-]+\.(?:java|kt|kts|scala|groovy|clj|jsp|aj)(?::\d+)?)$"
)
_LABELLED = re.compile(r"(?<=: )[a-z][\w$]*(?:\.[\w$]+)+(?:Exception|Error|Throwable)(?=: |$)")
_HEADER_LOOKAHEAD = 10
_HEADER_HINT = re.compile(r"\.|Exception|Error|Throwable")


@dataclass(slots=True)
class _Block:
    type: str
    value: str
    kind: str  # "top", "cause" or "suppressed"
    frames: list[Frame] = field(default_factory=list)  # newest first, as printed
    more: int = 0


def frame_of(line: str) -> Frame | None:
    """A JVM frame line as a `Frame`, or None when the line is not one."""
    if "at " not in line:
        return None
    match = _FRAME.match(line)
    if not match or not _JVM_SOURCE.match(match["src"].strip()):
        return None
    module, method = split_dotted(match["method"])
    source = _SOURCE.match(match["src"].strip())
    filename = source["file"] if source and "." in source["file"] else None
    return make_frame(
        PLATFORM,
        filename=filename,
        module=module,
        function=method,
        lineno=to_int(source["line"]) if source else None,
    )


def _looks_like_type(name: str) -> bool:
    last = name.rpartition(".")[2]
    return "." in name or last.endswith(("Exception", "Error", "Throwable"))


_THROWABLE_SUFFIXES = ("Exception", "Error", "Throwable")
_TYPE_NAME = re.compile(r"[A-Za-z_$][\w$.]*")


def _named(type_: str, value: str) -> tuple[str, str]:
    """The thrown type when a logger's name came first (``app.MakeLog: RuntimeException: m``)."""
    if type_.endswith(("Exception", "Error", "Throwable")):
        return type_, value
    name, colon, rest = value.partition(":")
    if _TYPE_NAME.fullmatch(name) and name.endswith(_THROWABLE_SUFFIXES):
        return name, rest.strip() if colon else ""
    return type_, value


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A JVM stack trace whose header is ``lines[start]``, or None."""
    first = lines[start]
    if _HEADER_HINT.search(first) is None:
        return None  # (`_looks_like_type`: a dotted name or a throwable's; no expression run)
    header = _HEADER.match(first)
    if header is None and ": " in first:
        # A reporter's label before the type ("Fatal Exception: java.lang.OutOfMemoryError").
        labelled = _LABELLED.search(first)
        header = _HEADER.match(first[labelled.start() :]) if labelled else None
    if header is None or not _looks_like_type(header["type"]):
        # Frames with no header above them: a trace whose start was cut off (a paste, a log
        # shipper that split the record), read as a headless stack.
        if frame_of(first) is None or (start > 0 and frame_of(lines[start - 1]) is not None):
            return None
        return _read(lines, start, [_Block("Error", "", "top")], None)
    i = start + 1
    extra: list[str] = []
    # A message may run over several lines (blank ones too) before the first frame.
    throwable = header["type"].endswith(_THROWABLE_SUFFIXES)
    end = min(len(lines), start + 1 + _HEADER_LOOKAHEAD)
    if "at " not in "\n".join(lines[i:end]):
        return None  # no frame line within reach: one search, not ten lines' tests
    # Every header looks up to ten lines ahead: plain string tests come first, so that
    # costs little on a log of header-like lines.
    while i < end:
        line = lines[i]
        if "at " in line and frame_of(line) is not None:
            break
        if "Caused by:" in line and _CAUSED.match(line):
            return None
        # A later line that names a throwable is where the trace starts, not a message line:
        # also in the logger-first form (``app.MakeLog: RuntimeException: m``), else a log
        # line before such a header ("production.INFO: user 42 logged in") took it over.
        bare = line.rstrip().endswith(_THROWABLE_SUFFIXES)  # "java.lang.NullPointerException"
        later = None if throwable or (":" not in line and not bare) else _HEADER.match(line)
        if later and _named(later["type"], later["value"] or "")[0].endswith(_THROWABLE_SUFFIXES):
            return None
        text = line.strip()
        if text:
            extra.append(text)
        i += 1
    else:
        return None
    type_, value = _named(header["type"], "\n".join([header["value"] or "", *extra]).strip())
    return _read(lines, i, [_Block(type_, value, "top")], header["thread"], start)


def _read(
    lines: Sequence[str], i: int, blocks: list[_Block], thread: str | None, start: int = -1
) -> Trace:
    """The frames, causes and suppressed blocks from ``lines[i]`` on, as one trace."""
    start = i if start < 0 else start
    while i < len(lines):
        line = lines[i]
        if len(blocks[-1].frames) >= MAX_FRAMES and line.lstrip().startswith("at "):
            i += 1  # past the frames kept, a line of a frame's shape only says the trace goes on
            continue
        frame = frame_of(line)
        if frame is not None:
            blocks[-1].frames.append(frame)
        elif more := _MORE.match(line):
            blocks[-1].more = int(more["n"][:6])
        elif caused := _CAUSED.match(line):
            blocks.append(_Block(caused["type"], caused["value"] or "", "cause"))
        elif suppressed := _SUPPRESSED.match(line):
            blocks.append(_Block(suppressed["type"], suppressed["value"] or "", "suppressed"))
        elif not blocks[-1].frames and blocks[-1].kind != "top" and i + 1 < len(lines):
            # A cause's message running over lines before its frames.
            if line.strip():
                blocks[-1].value = f"{blocks[-1].value}\n{line.strip()}"
        elif i + 1 < len(lines) and frame_of(lines[i + 1]) is not None and line.strip():
            pass  # one unknown line between frames (a logger's interleaved line) is skipped
        else:
            break
        i += 1
    chain = [b for b in blocks if b.kind != "suppressed"]
    for outer, inner in pairwise(chain):
        if inner.more and outer.frames:
            inner.frames.extend(outer.frames[-inner.more :])
    exceptions = [exception(b.type, b.value, list(reversed(b.frames))) for b in reversed(chain)]
    trace = Trace(PLATFORM, linked(exceptions), start, i)
    if thread:
        trace.notes.append(f"thread:{thread}")
    return trace
