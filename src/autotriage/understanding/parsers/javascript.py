"""JavaScript and TypeScript stacks: V8 (Node, Chrome, Edge) and Firefox/Safari.

V8 prints ``Type: message`` then ``    at fn (file:line:col)`` lines, newest first, with
anonymous frames (``at file:line:col``), ``async`` frames, ``[as alias]`` and
``node:internal`` locations; Node adds ``Type [CODE]: message`` and ``[cause]: ...``
blocks. Firefox and Safari print ``fn@file:line:col`` (``@file:...`` when anonymous),
read by `parsers.javascript_gecko`. Browser URLs (``webpack://``, ``app:///``,
``https://cdn/...``) are kept as the filename.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import ExceptionInfo, Frame
from autotriage.understanding.parsers.base import (
    MAX_FRAMES,
    Trace,
    exception,
    indent,
    linked,
    make_frame,
    matching_open,
    to_int,
)
from autotriage.understanding.parsers.javascript_gecko import (
    SPACED_NAMES,
    gecko_frame,
    name_only_run,
)

PLATFORM = "javascript"

# "at fn (loc)"; webpack's eval and React Native print no space before "(" ("at fn(loc)");
# a bare location may hold spaces ("at C:\\project files\\x.js:1:2"). Split by hand
# (`_v8_split`): names hold parentheses, and expressions for them backtracked badly.
_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::(?P<col>\d+))?$")
_HEADER = re.compile(
    r"^\s*(?:Uncaught\s+(?:\(in promise\)\s+)?)?(?:\[cause\]:\s*)?"
    r"(?P<type>[A-Za-z_$][\w$.]*)(?:\s\[(?P<code>[\w-]+)\])?(?::\s?(?P<value>.*))?$"
)
_CAUSE = re.compile(r"^\s*\[cause\]:\s*(?P<type>[A-Za-z_$][\w$.]*)(?::\s?(?P<value>.*?))?\s*\{?$")
_ELIDED = re.compile(r"^\s*\.\.\. \d+ (?:more )?lines? matching cause stack trace \.\.\.\s*$")
_HEADER_LOOKAHEAD = 12
"""Lines a header may be above the first frame (a message over several lines: assert's diff)."""
# Node prints an error without a stack in brackets: "[AggregateError: All promises were
# rejected] {" (Promise.any), then its properties.
_BRACKETED = re.compile(
    r"^\s*\[(?P<type>[A-Za-z_$][\w$.]*)(?::\s?(?P<value>.*))?\](?P<open>\s*\{)?\s*$"
)
_ERRORS = re.compile(r"^\s*\[errors\]: \[\s*$")
# After a stack, where an 'error' event was emitted (worker_threads): not the error's frames.
_EMITTED = re.compile(r"^Emitted '[\w-]{1,40}' event on .{1,200} at:$")
_THROW_LOCATION = re.compile(r"^(?P<file>\S[^\s:]*(?::[^\s:]+)*?):(?P<line>\d+)$")
_MAX_MEMBERS = 50
_PROPERTY = re.compile(r"^\s*(?:[\w$]{1,100}|'[^'\n]{0,100}'|\[[\w$. ]{1,100}\]): ")
# A header after other text on its line ("... error AggregateError [ECONNREFUSED]:"); with a
# V8 frame on the next line, the header may end the line.
_INLINE_HEADER = re.compile(
    r"(?<=\s)[A-Z][\w$]{0,80}(?:Error|Exception)(?=(?: \[[\w-]{1,60}\])?(?:: |:?$))"
)


def _v8_split(line: str) -> tuple[str | None, str, bool, bool] | None:
    """``at [async] fn (loc)`` or ``at loc`` into (function, location, bare, async), or None."""
    text = line.strip()
    if not text.startswith("at "):
        return None
    # "{" opens the error's own properties; "," ends a member of an AggregateError's [errors].
    text = text[3:].strip().removesuffix("{").removesuffix(",").rstrip()
    is_async = text.startswith("async ")
    text = text.removeprefix("async ")
    if text.endswith(")"):
        opening = matching_open(text, len(text) - 1)
        if opening is None:
            return None
        return text[:opening], text[opening + 1 : -1], False, is_async
    if not text or any(char in text for char in "(){}"):
        return None
    return None, text, True, is_async


def _v8_frame(line: str) -> Frame | None:
    if "at " not in line:
        return None
    split = _v8_split(line)
    if split is None:
        return None
    func, location, bare, is_async = split
    # "eval at fn (file:1:2), <anonymous>:1:1": the outer location is the real file.
    if location.startswith("eval at "):
        inner = re.search(r"\((\S+:\d+:\d+)\)", location)
        location = inner.group(1) if inner else location
    loc = _LOCATION.match(location)
    raw = func.strip() or None if func is not None else None
    if func is not None:
        func = re.sub(r" \[as [^\]]+\]$", "", func.strip()) or None
        # "new X" is read as "X", as before, so the fingerprints of existing groups hold.
        if func and func.startswith("new "):
            func = func[4:]
    if loc is None:
        if bare and not location.startswith(("<", "native")):
            # "at a_function_name": a frame with a name and no location (one paste, one trace).
            if not re.fullmatch(r"[\w$.<>\[\]]+", location):
                return None
            return make_frame(PLATFORM, function=location, is_async=is_async)
        return make_frame(
            PLATFORM,
            filename=location,
            abs_path=location,
            function=func,
            raw_function=raw,
            is_async=is_async,
        )
    path = loc["file"]
    return make_frame(
        PLATFORM,
        filename=path,
        abs_path=path,
        function=func,
        lineno=to_int(loc["line"]),
        colno=to_int(loc["col"]),
        raw_function=raw,
        is_async=is_async,
    )


def _throw_site(lines: Sequence[str], start: int) -> Frame | None:
    """The location Node prints above an uncaught error (``file:line``, the source line, a
    caret, a blank line), for an error that has no stack of its own."""
    i = start - 1
    while i >= 0 and start - i <= 2 and not lines[i].strip():
        i -= 1
    if i < 2 or "^" not in lines[i] or lines[i].strip().strip("^"):
        return None
    location = _THROW_LOCATION.match(lines[i - 2].strip())
    if location is None:
        return None
    return make_frame(
        PLATFORM,
        filename=location["file"],
        abs_path=location["file"],
        lineno=to_int(location["line"]),
        context_line=lines[i - 1].strip() or None,
    )


def _members(lines: Sequence[str], i: int) -> tuple[list[ExceptionInfo], int]:
    """The errors of an AggregateError's ``[errors]: [`` array from ``lines[i]`` (the line
    after it), and the index past its closing ``]``."""
    found: list[ExceptionInfo] = []
    while i < len(lines) and len(found) < _MAX_MEMBERS:
        text = lines[i].strip()
        if text in ("]", "],"):
            return found, i + 1
        member = parse(lines, i) if text else None
        if member is None or member.end <= i:
            break
        found.extend(exc.model_copy(update={"link": None}) for exc in member.exceptions)
        i = member.end
    return found, i


def _in_properties(line: str, props: list[int]) -> bool:
    """Whether `line` is one of an error's own properties Node prints after its stack
    (``code: 'ENOENT',``) or a line of such a property's value, more indented than the name;
    `props` holds the names' indentation once the first one is seen."""
    width = indent(line)
    if props[0] >= 0 and width > props[0]:
        return True
    if _PROPERTY.match(line) and (props[0] < 0 or width == props[0]):
        props[0] = width  # (a log prefix may have taken the names' indentation)
        return True
    return False


def _frame(line: str, gecko: bool) -> Frame | None:
    return gecko_frame(line, inside=True) if gecko else _v8_frame(line)


def _looks_like_type(name: str) -> bool:
    return name.endswith(("Error", "Exception", "Rejection")) or name in {"Error", "Uncaught"}


def parse(lines: Sequence[str], start: int) -> Trace | None:
    """A JavaScript stack starting at ``lines[start]`` (header or first frame), or None."""
    first = lines[start]
    # No header and no frame of any engine: only a run of Safari's name-only frames.
    if (
        ":" not in first
        and "@" not in first
        and "at " not in first
        and "Error" not in first
        and "Exception" not in first
        and name_only_run(lines, start) == start
    ):
        return None
    if first.lstrip().startswith("[") and "]" in first:
        bracketed = _BRACKETED.match(first)
        if bracketed is not None and _looks_like_type(bracketed["type"].rpartition(".")[2]):
            return _bracketed(lines, start, bracketed)
    header = (
        _HEADER.match(first)
        if ":" in first or first.strip().endswith(("Error", "Exception"))
        else None
    )
    type_, value = "Error", ""
    i = start
    if header is None or not _looks_like_type(header["type"].rpartition(".")[2]):
        # console.error("request failed", err) prints its text before the error's header.
        inline = _INLINE_HEADER.search(first) if "Error" in first or "Exception" in first else None
        if inline is not None and start + 1 < len(lines) and _v8_frame(lines[start + 1]):
            header = _HEADER.match(first[inline.start() :].strip())
    if header is not None and header["type"] == "Uncaught" and header["value"]:
        # A handler's own label before the error: "Uncaught: TypeError: message".
        inner = _HEADER.match(header["value"].strip())
        header = inner if inner and _looks_like_type(inner["type"]) else header
    if header is not None and _looks_like_type(header["type"].rpartition(".")[2]):
        type_, value = header["type"], header["value"] or ""
        i = start + 1
        extra: list[str] = []
        window = "\n".join(lines[i : start + 1 + _HEADER_LOOKAHEAD])
        if "at " not in window and "@" not in window:
            return None  # no frame of either engine within reach: one search decides
        while i < len(lines) and i - start <= _HEADER_LOOKAHEAD:
            if _v8_frame(lines[i]) is not None or gecko_frame(lines[i]) is not None:
                break
            extra.append(lines[i].strip())
            i += 1
        else:
            return None
        if i >= len(lines):
            return None
        value = "\n".join([value, *extra]).strip()
    elif name_only_run(lines, start) > start:
        pass  # Safari's name-only frames, then located ones: a headless stack
    elif (not first.lstrip().startswith("at ") or _v8_frame(first) is None) and (
        # A headless Firefox/Safari stack needs two frames in a row to be told from prose
        # (the plain tests first: most header-like lines have no "@" line after them).
        start + 1 >= len(lines)
        or "@" not in lines[start + 1]
        or gecko_frame(first, inside="@" not in first) is None
        or gecko_frame(lines[start + 1]) is None
    ):
        return None
    gecko = _v8_frame(lines[i]) is None
    exceptions: list[ExceptionInfo] = []
    members: list[ExceptionInfo] = []
    frames: list[Frame] = []
    props: list[int] = []  # the properties' indentation (-1 until seen), once "{" opened them
    while i < len(lines):
        line = lines[i]
        if len(frames) >= MAX_FRAMES and ("@" in line if gecko else "at " in line):
            i += 1  # past the frames kept, a line of a frame's shape only says the trace goes on
            continue
        frame = _frame(line, gecko)
        if frame is not None:
            frames.append(frame)
            i += 1
            if not gecko and line.endswith("{"):
                props = [-1]
            continue
        named = name_only_run(lines, i) if gecko else i
        if named > i:
            for name in lines[i:named]:
                # "eval code" alone names neither a function nor a place: nothing to keep
                # (TraceKit and stacktrace-parser drop it too).
                if len(frames) < MAX_FRAMES and name.strip() not in SPACED_NAMES:
                    frames.append(make_frame(PLATFORM, function=name.strip()))
            i = named
            continue
        if _ELIDED.match(line):
            i += 1  # "... 5 lines matching cause stack trace ...": frames the cause shows
            continue
        if not gecko and "[errors]" in line and _ERRORS.match(line):
            found, i = _members(lines, i + 1)
            members.extend(found)
            continue
        if not gecko and line.startswith("Emitted '") and _EMITTED.match(line):
            i += 1  # where the 'error' event was emitted: skip those frames, not the error's
            while i < len(lines) and _v8_frame(lines[i]) is not None:
                i += 1
            continue
        cause = _CAUSE.match(line)
        if cause is not None and not gecko:
            exceptions.append(exception(type_, value, list(reversed(frames))))
            type_, value, frames = cause["type"], cause["value"] or "", []
            i += 1
            continue
        if props:
            if line.strip() in ("}", "},"):
                i += 1  # the closing brace of the error's properties ends the error
                break
            if _in_properties(line, props):
                i += 1  # "code: 'ECONNREFUSED'," and the like, before [errors] or [cause]
                continue
        break
    if not frames and not exceptions:
        return None
    if (
        len(frames) > 1
        and frames[0].filename == "native"
        and frames[0].function in (type_, "Error")
    ):
        # Old V8's "at Error (native)" is the Error constructor, not where the error was made.
        frames = frames[1:]
    exceptions.append(exception(type_, value, list(reversed(frames))))
    # Printed outermost first, each [cause] after the error it caused: reverse to cause-first.
    exceptions.reverse()
    # An AggregateError's members come first, unlinked (as a Python ExceptionGroup's do).
    return Trace(PLATFORM, members + linked(exceptions), start, i)


def _bracketed(lines: Sequence[str], start: int, header: re.Match[str]) -> Trace | None:
    """``[Type: message] {`` (an error printed without a stack), its ``[errors]`` members,
    up to the closing ``}``; the frame is where Node says it was thrown, if it does."""
    members: list[ExceptionInfo] = []
    i = start + 1
    if header["open"]:
        end = min(len(lines), start + 1 + _HEADER_LOOKAHEAD)
        while i < end and lines[i].strip() != "}":
            if _ERRORS.match(lines[i]):
                members, i = _members(lines, i + 1)
                end = min(len(lines), i + _HEADER_LOOKAHEAD)
                continue
            i += 1
        i = i + 1 if i < len(lines) and lines[i].strip() == "}" else start + 1
    site = _throw_site(lines, start)
    if site is None and not members:
        return None
    frames = [site] if site is not None else []
    raised = exception(header["type"], header["value"] or "", frames)
    return Trace(PLATFORM, [*members, raised], start, i)
