"""What every runtime's parser shares: the `Trace` it returns and small helpers.

A parser is a function ``parse(lines, start) -> Trace | None``: it looks at ``lines[start]``
and, when a trace of its runtime starts there, reads as far as the trace goes. It must be
cheap to say "not here" (most lines start no trace) and must never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autotriage.models import ExceptionInfo, Frame
from autotriage.understanding.inapp import in_app_for

MAX_FRAMES = 500
"""Frames kept per exception; a log line can hold a runaway recursion."""


@dataclass(slots=True)
class Trace:
    """One trace found in the text: its exceptions, cause-first, and the lines it spans."""

    platform: str
    exceptions: list[ExceptionInfo]
    start: int
    end: int
    """Index just past the trace's last line."""
    notes: list[str] = field(default_factory=list)


Parser = Callable[[Sequence[str], int], "Trace | None"]

_INDENT = re.compile(r"^[ \t]*")


def indent(line: str) -> int:
    """The width of the line's leading whitespace (a tab counts as four)."""
    lead = _INDENT.match(line)
    return len(lead.group(0).replace("\t", "    ")) if lead else 0


def to_int(text: str | None) -> int | None:
    """An int from digits, or None (a line number too large to be real is None too)."""
    if not text or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


def exception(
    type_: str, value: str, frames: list[Frame], module: str | None = None
) -> ExceptionInfo:
    """An `ExceptionInfo` with frames capped to `MAX_FRAMES` (the newest kept)."""
    kept = frames[-MAX_FRAMES:]
    return ExceptionInfo(
        type=type_[:200] or "Error", value=value[:4096], module=module, frames=kept
    )


def linked(chain: list[ExceptionInfo]) -> list[ExceptionInfo]:
    """`chain` (cause-first) with every exception but the last marked as the next one's cause,
    where the parser has not said otherwise."""
    return [
        exc if exc.link or index == len(chain) - 1 else exc.model_copy(update={"link": "cause"})
        for index, exc in enumerate(chain)
    ]


def split_dotted(name: str) -> tuple[str | None, str]:
    """``pkg.Class.method`` into (``pkg.Class``, ``method``)."""
    head, _, tail = name.rpartition(".")
    return (head or None), tail


def make_frame(
    platform: str,
    *,
    filename: str | None = None,
    abs_path: str | None = None,
    module: str | None = None,
    function: str | None = None,
    lineno: int | None = None,
    colno: int | None = None,
    context_line: str | None = None,
    raw_function: str | None = None,
    instruction_addr: str | None = None,
    instruction_offset: str | None = None,
    is_async: bool = False,
) -> Frame:
    """A `Frame` with the runtime's default ``in_app`` already decided (built once).

    `raw_function` is kept only where it differs from `function` (the name as printed,
    before the parser normalized it).
    """
    return Frame(
        filename=filename,
        abs_path=abs_path,
        module=module,
        function=function,
        lineno=lineno,
        colno=colno,
        context_line=context_line,
        in_app=in_app_for(platform, abs_path or filename, module, function),
        raw_function=raw_function if raw_function != function else None,
        instruction_addr=instruction_addr,
        instruction_offset=instruction_offset,
        is_async=is_async,
    )


def matching_open(text: str, close: int) -> int | None:
    """Where the ``(`` that the ``)`` at `close` closes is, or None (one backward scan).

    Frame lines are split with this rather than with a regular expression, because nested
    parentheses in names and argument lists made the expressions backtrack badly on
    hostile lines.
    """
    depth = 0
    for index in range(close, -1, -1):
        char = text[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return index
    return None
