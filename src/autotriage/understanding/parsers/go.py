"""Go panics and fatal errors with their goroutine dump.

``panic: message`` (``[recovered]`` and nested panics included, ``runtime error: ...`` for
the runtime's own), optional ``[signal ...]`` line, then ``goroutine N [running]:`` and
pairs of lines per frame, newest first: ``pkg.Func(args)`` then ``\\t/path/file.go:12 +0x1d``;
``created by pkg.Func in goroutine N`` closes a goroutine as its oldest frame. Dumps that open
with ``fatal error:``, a signal (``SIGQUIT: quit``) or net/http's ``http: panic serving``
are read too, and so is the race detector's ``WARNING: DATA RACE`` report;
``GOTRACEBACK=system`` frame lines (``fp=... sp=... pc=...``) and cgo's
``??:0`` frames are frames like any other, and an unknown line inside a goroutine is
skipped. Of all goroutines, the first ``[running]`` one is kept (else the first printed).
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
# Heads that open a dump without "panic:": a signal dump (SIGQUIT, SIGABRT) and net/http's
# recovered handler panic, which logs the stack of the goroutine that served the request.
_SIGNAL = re.compile(r"^\s*(?P<kind>SIG[A-Z]+): (?P<value>[\w ]+)\s*$")
_HTTP = re.compile(r"^\s*http: panic serving (?P<peer>\S+): (?P<value>.*?)\s*$")
_GOROUTINE = re.compile(r"^\s*goroutine \d+ \[(?P<state>[^\]]*)\]:\s*$")
_CALL = re.compile(
    r"^(?P<created>created by )?(?P<func>[^\s(][^\s]*?)(?:\((?P<args>[^)]*)\))?"
    r"(?: in goroutine \d+)?\s*$"
)
# "\t/path/file.go:12 +0x1d", with GOTRACEBACK=system's " fp=... sp=... pc=..." after it;
# cgo frames print " ??:0 +0x6d" (space-indented, no real file).
# A Windows path keeps its drive ("C:/Go/src/runtime/panic.go:1116").
_LOCATION = re.compile(
    r"^\s+(?P<file>(?:[A-Za-z]:)?[^\s:][^:]*?):(?P<line>\d+)(?: \+(?P<offset>0x[0-9a-f]+))?"
    r"(?: (?:fp|sp|lr)=0x[0-9a-f]+| pc=(?P<pc>0x[0-9a-f]+))*\s*$"
)
_LOOKAHEAD = 12
_UNAVAILABLE = "<unavailable>"
_MAX_SKIPPED = 20
"""Unknown lines tolerated inside one goroutine ("...additional frames elided...")."""


def _split_func(qualified: str) -> tuple[str | None, str]:
    # "github.com/acme/api/handlers.(*Server).Get": module ".../handlers", "(*Server).Get"
    slash = qualified.rfind("/")
    dot = qualified.find(".", slash + 1)
    if dot <= 0:
        return None, qualified
    return qualified[:dot], qualified[dot + 1 :]


def _head(line: str) -> tuple[str, str] | None:
    """The exception type and message a dump's first line gives, or None."""
    if "panic" not in line and "fatal" not in line and "SIG" not in line:
        return None
    if match := _PANIC.match(line):
        kind = match["kind"]
        return ("fatal error" if kind == "fatal" else kind), match["value"]
    if match := _HTTP.match(line):
        return "panic", match["value"]
    if match := _SIGNAL.match(line):
        return match["kind"], match["value"]
    return None


def _goroutine(lines: Sequence[str], i: int) -> tuple[list[Frame], int]:
    """Frames of the goroutine whose frame lines start at ``lines[i]``, oldest first."""
    frames: list[Frame] = []
    skipped = 0
    end = len(lines)
    while i < end and lines[i].strip() and skipped <= _MAX_SKIPPED:
        if lines[i].rstrip().endswith("stack unavailable") and not frames:
            # "goroutine running on other thread; stack unavailable": Go knows the stack is
            # there but cannot print it; one placeholder frame says so (as panicparse reads it).
            frames.append(
                make_frame(PLATFORM, filename=_UNAVAILABLE, abs_path=_UNAVAILABLE, lineno=0)
            )
            i += 1
            continue
        call = _CALL.match(lines[i].strip())
        location = _LOCATION.match(lines[i + 1]) if i + 1 < end else None
        if call is None or location is None or _GOROUTINE.match(lines[i]):
            if _GOROUTINE.match(lines[i]):
                break
            skipped += 1
            i += 1
            continue
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
                    instruction_addr=location["pc"],
                    instruction_offset=location["offset"],
                )
            )
        i += 2
        if call["created"]:
            break
    frames.reverse()
    return frames, i


def _dump(lines: Sequence[str], i: int) -> tuple[list[Frame], int]:
    """The frames of the goroutine that failed: the first ``[running]`` one, else the first."""
    chosen: list[Frame] | None = None
    chosen_running = False
    end = len(lines)
    while i < end:
        match = _GOROUTINE.match(lines[i])
        if match is None:
            break
        frames, i = _goroutine(lines, i + 1)
        running = match["state"].startswith("running")
        if chosen is None or (running and not chosen_running):
            chosen, chosen_running = frames, running
        while i < end and not lines[i].strip():
            i += 1
    return chosen or [], i


_RACE_ACCESS = re.compile(
    r"^\s*(?P<access>(?:Previous )?(?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite) at 0x[0-9a-f]+"
    r" by (?:goroutine \d+|main goroutine)):\s*$"
)
_RACE_RULE = "=================="
_RACE_HEADS = ("WARNING: DATA RACE", "DATA RACE")  # the log-prefix stripper takes "WARNING:"
_RACE_LINES = 400


def _race(lines: Sequence[str], start: int) -> Trace | None:
    """The race detector's ``WARNING: DATA RACE`` report: the first access's stack is the
    frames; the report runs to its closing rule of ``=`` signs (the other accesses and where
    the goroutines were created are read past)."""
    if start + 2 >= len(lines) or not (access := _RACE_ACCESS.match(lines[start + 1])):
        return None
    frames, i = _goroutine(lines, start + 2)
    if not frames:
        return None
    for j in range(i, min(len(lines), i + _RACE_LINES)):
        if lines[j].strip() == _RACE_RULE:
            i = j + 1
            break
    return Trace(PLATFORM, [exception("DATA RACE", access["access"], frames)], start, i)


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A Go panic (message, then the goroutine dump) starting at ``lines[start]``, or None."""
    if lines[start].strip() in _RACE_HEADS:
        return _race(lines, start)
    head = _head(lines[start])
    if head is None:
        if "goroutine" not in lines[start]:
            return _stack_only(lines, start)
        # A dump pasted without its head still names the goroutine that was running.
        if not _GOROUTINE.match(lines[start]):
            return None
        if start > 0 and "goroutine" in lines[start - 1] and _GOROUTINE.match(lines[start - 1]):
            # The dump from the line before holds this one: it was read (and gave no frames)
            # when the scan was there, so a run of empty goroutine headers is read once.
            return None
        frames, end = _dump(lines, start)
        if not frames:
            return None
        return Trace(PLATFORM, [exception("goroutine dump", "", frames)], start, end)
    kind, value = head
    i = start + 1
    # Nested panics ("panic: a [recovered]\n\tpanic: b"), the signal line and a signal
    # dump's registers ("PC=0x4579c1 m=0 sigcode=0") come before the first goroutine.
    while i < len(lines) and i - start <= _LOOKAHEAD and not _GOROUTINE.match(lines[i]):
        nested = _PANIC.match(lines[i])
        text = lines[i].strip()
        if nested is not None:
            if (
                kind == "panic"
                and lines[start].lstrip().startswith("panic:")
                and not lines[i][:1].isspace()
                and not lines[i - 1].rstrip().endswith("[recovered]")
            ):
                break  # the next panic of the log, not one nested in this one
            value = nested["value"]
        elif (
            text
            and not text.startswith(("[signal", "PC=", "signal arrived"))
            and (kind not in ("SIGQUIT", "SIGABRT") or not _REGISTER.match(text))
        ):
            if kind.startswith("SIG"):
                return None
            break
        i += 1
    if i >= len(lines) or not _GOROUTINE.match(lines[i]):
        if kind.startswith("SIG"):
            return None
        # A panic message without a dump (truncated, or the log went on): still an error
        # worth reporting. The lines read ahead are part of it, so each is read once.
        return Trace(PLATFORM, [exception(kind, value, [])], start, max(i, start + 1))
    frames, i = _dump(lines, i)
    return Trace(PLATFORM, [exception(kind, value, frames)], start, max(i, start + 1))


_REGISTER = re.compile(r"^[a-z0-9]{2,4}\s+0x[0-9a-f]+(?:\s+[a-z0-9]{2,4}\s+0x[0-9a-f]+)*$")


def _stack_only(lines: Sequence[str], start: int) -> Trace | None:
    """Frames with no goroutine line above them: a logger's stack (zap's ``stacktrace``,
    ``debug.Stack()`` cut), function lines each followed by a tab and ``file.go:line``."""
    first = lines[start]
    if "." not in first or first[:1].isspace() or start + 1 >= len(lines):
        return None
    call = _CALL.match(first.strip())
    location = _LOCATION.match(lines[start + 1])
    if call is None or location is None or not location["file"].endswith(".go"):
        return None
    if start > 0 and _LOCATION.match(lines[start - 1]):
        return None  # inside a stack the scan already passed
    frames, end = _goroutine(lines, start)
    return Trace(PLATFORM, [exception("Error", "", frames)], start, end) if frames else None
