"""Python tracebacks drawn by rich (``rich.traceback``, ``RichHandler(rich_tracebacks=True)``,
structlog's default ``ConsoleRenderer`` when rich is installed).

Each traceback is a box: ``╭── Traceback (most recent call last) ──╮``, then per frame,
oldest first, a ``/path/file.py:12 in func`` line (folded over several lines when the path
is wider than the box), the source excerpt (``❱ 12 │ code`` marks the line) and an optional
``╭─ locals ─╮`` box; ``╰──╯`` closes it and the exception line follows, unboxed. Chained
exceptions are boxes joined by Python's own "The above exception..." lines. A log
handler's left column (RichHandler's time and level) only indents the box.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import ExceptionInfo, Frame
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    make_frame,
    to_int,
)

PLATFORM = "python"

TITLE = "Traceback (most recent call last)"
_CHAIN = {
    "The above exception was the direct cause of the following exception:": "cause",
    "During handling of the above exception, another exception occurred:": "context",
}
# "path:line in function", as folded lines joined: a fold at the space before or after
# "in" loses that space. Read from the right (`_location`), so no expression backtracks.
_LINE_IN = re.compile(r":(?P<line>\d{1,9}) ?in ?(?P<func>\S.*)$")
_CODE = re.compile(r"^(?:❱ ?)?\s*\d+(?:\s|$)")
_EXC = re.compile(r"^(?P<type>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::\s?(?P<value>.*))?$")
_MAX_HEADER = 2000
"""Characters of one frame's folded location line; longer is no frame."""
_MAX_LINES = 20_000
"""Lines of one box; a longer one is cut there."""


def starts(line: str) -> bool:
    """Whether `line` is the top of a rich traceback box (a cheap test first)."""
    text = line.strip()
    return text.startswith("╭") and TITLE in text and text.endswith("╮")


def _location(segment: list[str]) -> re.Match[str] | None:
    joined = "".join(segment)
    if len(joined) > _MAX_HEADER or ":" not in joined or "in" not in joined:
        return None
    cut = joined.rfind(" in ")
    if cut < 0:
        cut = max(joined.rfind("in "), joined.rfind(" in"))
    colon = joined.rfind(":", 0, cut + 1) if cut >= 0 else -1
    if colon <= 0:
        return None
    match = _LINE_IN.match(joined, colon)
    return match if match is not None and match.start() == colon else None


def _frame(segment: list[str]) -> Frame | None:
    match = _location(segment)
    if match is None:
        return None
    path = "".join(segment)[: match.start()]
    return make_frame(
        PLATFORM,
        filename=path,
        abs_path=path,
        function=match["func"].strip(),
        lineno=to_int(match["line"]),
    )


def _content(line: str, column: int) -> str | None:
    """The text inside the box's side bars, or None when the line is not a box line."""
    if len(line) <= column or line[column] != "│":
        return None
    inner = line[column + 1 :].rstrip()
    inner = inner.removesuffix("│")
    return inner.strip()


def _box(lines: Sequence[str], start: int) -> tuple[list[Frame], int]:
    """The frames of the box whose top is ``lines[start]``, and the index past its bottom."""
    column = lines[start].index("╭")
    frames: list[Frame] = []
    segment: list[str] = []
    depth = 0
    i = start + 1
    end = min(len(lines), start + _MAX_LINES)

    def close() -> None:
        if segment and len(frames) < MAX_FRAMES:
            frame = _frame(segment)
            if frame is not None:
                frames.append(frame)
        segment.clear()

    while i < end:
        line = lines[i]
        if len(line) > column and line[column] == "╰":
            i += 1
            break
        text = _content(line, column)
        if text is None:
            break
        i += 1
        if depth or text.startswith("╭"):  # a locals box inside the frame
            depth += text.startswith("╭") - text.startswith("╰")
            depth = max(depth, 0)
            continue
        if not text:
            close()
            continue
        if not segment and _CODE.match(text):  # (a folded location may go on with digits)
            if text.startswith("❱") and frames and frames[-1].context_line is None:
                # "❱ 16 │   reserve(2, 5)": the line that ran, after its number and guides.
                _, _, source = text[1:].lstrip().partition(" ")
                code = source.replace("│", " ").strip() or None
                frames[-1] = frames[-1].model_copy(update={"context_line": code})
            continue
        segment.append(text)
    close()
    return frames, i


def _exception_line(lines: Sequence[str], i: int) -> tuple[ExceptionInfo | None, int]:
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return None, i
    match = _EXC.match(lines[i].strip())
    if match is None:
        return None, i
    return ExceptionInfo(type=match["type"], value=(match["value"] or "").strip()), i + 1


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A rich traceback (with its chain) whose first box starts at ``lines[start]``, or None."""
    if not starts(lines[start]):
        return None
    chain: list[ExceptionInfo] = []
    i = start
    while True:
        frames, i = _box(lines, i)
        raised, i = _exception_line(lines, i)
        if raised is None and not frames:
            break
        kind = raised.type if raised else "Error"
        chain.append(exception(kind, raised.value if raised else "", frames))
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        link = _CHAIN.get(lines[j].strip()) if j < len(lines) else None
        if raised is None or link is None:
            break
        j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines) or not starts(lines[j]):
            break
        chain[-1] = chain[-1].model_copy(update={"link": link})
        i = j
    if not chain:
        return None
    return Trace(PLATFORM, chain, start, max(i, start + 1))
