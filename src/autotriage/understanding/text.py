"""Raw error text (a log line, a pasted traceback) to `ErrorEvent`s.

This first version reads Python tracebacks and plain log lines.
"""

from __future__ import annotations

import re
from datetime import datetime

from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level

_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_PY_EXC = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|\w*))"
    r"(?::\s?(?P<value>.*))?$"
)
_LEVEL = re.compile(r"\b(DEBUG|INFO|WARN(?:ING)?|ERROR|CRITICAL|FATAL)\b")
_NOT_APP = ("site-packages", "dist-packages", "<frozen", "/lib/python")


def _in_app(path: str) -> bool:
    return not any(marker in path for marker in _NOT_APP)


def _parse_python(lines: list[str]) -> list[ExceptionInfo]:
    chain: list[ExceptionInfo] = []
    frames: list[Frame] = []
    in_trace = False
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            in_trace, frames = True, []
            continue
        if not in_trace:
            continue
        match = _PY_FRAME.match(line)
        if match:
            path = match["file"]
            code = lines[index + 1].strip() if index + 1 < len(lines) else None
            frames.append(
                Frame(
                    filename=path,
                    abs_path=path,
                    function=match["func"],
                    lineno=int(match["line"]),
                    in_app=_in_app(path),
                    context_line=code if code and not _PY_FRAME.match(lines[index + 1]) else None,
                )
            )
            continue
        if line.startswith((" ", "\t")) or not line.strip():
            continue
        exc = _PY_EXC.match(line.strip())
        if exc:
            chain.append(ExceptionInfo(type=exc["type"], value=exc["value"] or "", frames=frames))
            in_trace = False
    return chain


def parse_text(
    text: str, *, source: str = "text", received_at: datetime | None = None
) -> list[ErrorEvent]:
    """Read error text into events; never raises, at worst a message-only event."""
    lines = text.replace("\r\n", "\n").split("\n")
    chain = _parse_python(lines)
    level_match = _LEVEL.search(text)
    level = normalize_level(level_match.group(1)) if level_match else "error"
    message = chain[-1].value if chain else text.strip()
    extra = {"received_at": received_at} if received_at else {}
    return [
        ErrorEvent(
            source=source,
            level=level,
            message=message[:8192],
            exceptions=chain,
            platform="python" if chain else None,
            raw=text,
            **extra,
        )
    ]
