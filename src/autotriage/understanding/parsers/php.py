"""PHP fatal errors and uncaught exceptions, as PHP writes them to its error log.

``PHP Fatal error:  Uncaught RuntimeException: message in /app/src/A.php:12`` then
``Stack trace:``, ``#0 /app/src/B.php(20): App\\A->run()`` frames newest first, ``#1 {main}``
and ``  thrown in /app/src/A.php on line 12``. Each ``#N`` line names where a call was made
and the callee, so functions shift by one frame when turned into Sentry-style frames.
Errors without a trace (``PHP Fatal error:  Allowed memory size ... in /f.php on line 3``)
become one frame. ``Next Type: message`` blocks (chained exceptions) are read too.

Monolog (Laravel's log) writes an exception in a record's context as ``[object]
(Type(code: 0): message at /app/A.php:12)``, then ``[stacktrace]`` and the same ``#N``
lines, each ``[previous exception] [object] (...)`` after it a cause; inside the context's
JSON the backslashes of namespaces are doubled (``App\\\\A->run()``), and are read single.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import ExceptionInfo, Frame
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    linked,
    make_frame,
    to_int,
)

PLATFORM = "php"

_FATAL = re.compile(
    r"^\s*(?:PHP )?(?P<level>Fatal error|Parse error|Warning|Notice|Deprecated"
    r"|Recoverable fatal error)"
    r":\s+(?P<rest>.*)$"
)
_UNCAUGHT = re.compile(
    r"^Uncaught (?P<type>[\w\\]+)(?::\s?(?P<value>.*?))?(?: in (?P<file>\S+?):(?P<line>\d+))?$"
)
# PHP 5 and early 7: "exception 'Type' with message 'text' in /file.php:12", after
# "PHP Fatal error:  Uncaught " or on its own (Exception::__toString).
_PHP5 = re.compile(
    r"^(?:Uncaught )?exception '(?P<type>[\w\\]+)' with message '(?P<value>.*)'"
    r" in (?P<file>\S+?):(?P<line>\d+)\s*$"
)
_NEXT = re.compile(
    r"^\s*Next (?P<type>[\w\\]+)(?::\s?(?P<value>.*?))?(?: in (?P<file>\S+?):(?P<line>\d+))?$"
)
# Apache's error log appends ", referer: <url>" to the line PHP wrote.
_PLAIN = re.compile(
    r"^(?P<value>.*?) in (?P<file>\S+?)(?: on line |:)(?P<line>\d+)(?:, referer: \S+)?\s*$"
)
# A trace flattened onto one line (an HTML error page copied as text): its parts, each put
# back on a line of its own before it is read.
_FLAT = re.compile(r" (?=Stack trace: #0 )| (?<=Stack trace:) | (?=#\d{1,4} )| (?=thrown in )")
_STACK = re.compile(
    r"^\s*#(?P<n>\d+) (?:(?P<file>[^()]+)\((?P<line>\d+)\): (?P<call>.*)"
    r"|(?P<main>\{main\}|\[internal function\]: .*))\s*$"
)
_MONOLOG = re.compile(
    r"\[object\] \((?P<type>[\w\\]+)\(code: [\w-]{1,40}\): (?P<value>.*)"
    r" at (?P<file>\S+?):(?P<line>\d+)\)$"
)
_PREVIOUS = "[previous exception] "
_MONOLOG_BLOCK = MAX_FRAMES + 20
_THROWN = re.compile(r"^\s*thrown in (?P<file>\S+) on line (?P<line>\d+)\s*$")


def _frames(entries: list[re.Match[str]], file: str | None, line: int | None) -> list[Frame]:
    """Sentry-style frames, oldest first, from ``#N`` entries (newest first) and the throw site."""
    locations: list[tuple[str | None, int | None]] = [(file, line)]
    calls: list[str | None] = []
    for entry in entries:
        if entry["main"]:
            # An internal function's callee keeps its "()", as before: fingerprints hold.
            calls.append(
                entry["main"].split(": ", 1)[-1] if "internal" in entry["main"] else "{main}"
            )
            continue
        calls.append(re.sub(r"\(.*\)$", "", entry["call"].strip()))
        locations.append((entry["file"].strip(), to_int(entry["line"])))
    frames = []
    for index, (path, lineno) in enumerate(locations):
        function = calls[index] if index < len(calls) else None
        frames.append(
            make_frame(PLATFORM, filename=path, abs_path=path, function=function, lineno=lineno)
        )
    frames.reverse()
    return frames[-MAX_FRAMES:]


def _block(lines: Sequence[str], i: int) -> tuple[list[re.Match[str]], int]:
    entries: list[re.Match[str]] = []
    if i < len(lines) and lines[i].strip() == "Stack trace:":
        i += 1
    while i < len(lines):
        match = _STACK.match(lines[i])
        if match is None:
            break
        entries.append(match)
        i += 1
    return entries, i


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A PHP error or uncaught exception starting at ``lines[start]``, or None."""
    first = lines[start]
    if "[object] (" in first:
        return _monolog(lines, start)
    if "Stack trace: #0 " in first and "\n" not in first:
        flat = _FLAT.split(first.strip())
        trace = parse(flat, 0) if len(flat) > 2 else None
        return Trace(PLATFORM, trace.exceptions, start, start + 1) if trace else None
    uncaught_at = first.find("Uncaught ")
    if uncaught_at > 0 and start + 1 < len(lines) and lines[start + 1].strip() == "Stack trace:":
        # A mail or page that quotes the error ("Error message: Uncaught Error: ... in f:l").
        quoted = _UNCAUGHT.match(first[uncaught_at:].strip())
        if quoted is not None:
            return _uncaught(lines, start, quoted)
    if "rror" not in first and "ncaught" not in first and "exception '" not in first:
        return None
    fatal = _FATAL.match(first)
    if fatal is None:
        php5 = _PHP5.match(first.strip()) if first.startswith("exception '") else None
        return _uncaught(lines, start, php5) if php5 else None
    rest = fatal["rest"].strip()
    uncaught = _UNCAUGHT.match(rest) or _PHP5.match(rest)
    if uncaught is None:
        plain = _PLAIN.match(rest)
        if plain is None:
            return None
        frame = make_frame(
            PLATFORM, filename=plain["file"], abs_path=plain["file"], lineno=to_int(plain["line"])
        )
        exc = exception(f"PHP {fatal['level']}", plain["value"], [frame])
        return Trace(PLATFORM, [exc], start, start + 1)
    return _uncaught(lines, start, uncaught)


def _uncaught(lines: Sequence[str], start: int, uncaught: re.Match[str]) -> Trace:
    """An uncaught exception's header, stack blocks and ``Next`` chain."""
    chain: list[ExceptionInfo] = []
    type_, value = uncaught["type"], uncaught["value"] or ""
    file, line = uncaught["file"], to_int(uncaught["line"])
    i = start + 1
    while True:
        entries, i = _block(lines, i)
        thrown = _THROWN.match(lines[i]) if i < len(lines) else None
        if thrown is not None and file is None:
            file, line = thrown["file"], to_int(thrown["line"])
        chain.append(exception(type_.lstrip("\\"), value, _frames(entries, file, line)))
        if thrown is not None:
            i += 1
            break
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        nxt = _NEXT.match(lines[j]) if j < len(lines) else None
        if nxt is None:
            break
        i = j
        type_, value = nxt["type"], nxt["value"] or ""
        file, line = nxt["file"], to_int(nxt["line"])
        i += 1
    # PHP prints the first-thrown exception first and each "Next" wraps it: already cause-first.
    return Trace(PLATFORM, linked(chain), start, i)


def _monolog(lines: Sequence[str], start: int) -> Trace | None:
    """Monolog's ``[object] (Type(code: N): message at file:line)``, its ``[stacktrace]``
    and ``[previous exception]`` blocks (each the cause of the one before it)."""
    header = _MONOLOG.search(lines[start])
    if header is None:
        return None
    escaped = '{"exception":"' in lines[start]
    printed: list[ExceptionInfo] = []
    i = start + 1
    while header is not None:
        ahead = list(lines[i : i + _MONOLOG_BLOCK])
        if escaped:
            ahead = [line.replace("\\\\", "\\") for line in ahead]
        k = 1 if ahead and ahead[0].strip() == "[stacktrace]" else 0
        entries, k = _block(ahead, k)
        file, line = header["file"], to_int(header["line"])
        value = header["value"].replace("\\\\", "\\") if escaped else header["value"]
        printed.append(exception(header["type"].lstrip("\\"), value, _frames(entries, file, line)))
        i += k
        nxt = lines[i] if i < len(lines) else ""
        header = _MONOLOG.search(nxt) if nxt.startswith(_PREVIOUS) else None
        if header is not None:
            i += 1
    if i < len(lines) and lines[i].strip().startswith('"}'):
        i += 1  # the end of the record's context JSON
    printed.reverse()  # the logged exception first, each previous one after it: cause-first
    return Trace(PLATFORM, linked(printed), start, i)
