"""Firefox's and Safari's stack lines (``fn@file:line:col``), for `parsers.javascript`.

Firefox and Safari print ``fn@file:line:col`` (``@file:...`` when anonymous); names can hold
``@`` and so can URLs; Firefox writes eval'd code as ``file line N > eval``, Opera 11 its
anonymous functions as ``<anonymous function: name>``, and Safari some frames as a bare
location or, for eval'd code, a bare name before ``eval@[native code]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autotriage.models import Frame
from autotriage.understanding.parsers.base import make_frame, to_int

PLATFORM = "javascript"

_GECKO_LOCATION = re.compile(
    r"^(?:\[native code\]|(?P<file>\S+?):(?P<line>\d+)(?::(?P<col>\d+))?)\s*$"
)
_FUNCTIONLESS = re.compile(r"^\s*(?P<file>[^\s@]+?):(?P<line>\d+)(?::(?P<col>\d+))?\s*$")


SPACED_NAMES = {"global code", "eval code", "module code"}
# Opera 11: "<anonymous function: run>([arguments not available])@file.js:27".
_OPERA_ARGS = "([arguments not available])"
_OPERA_NAME = re.compile(r"^<anonymous function(?:: (?P<name>[^>\s]+))?>$")
_GECKO_EVAL = re.compile(r"^(?P<file>\S+) line (?P<line>\d+) > (?:eval|Function)")


def _balanced(name: str) -> bool:
    return name.count("[") == name.count("]") and name.count('"') % 2 == 0


def _gecko_split(line: str) -> re.Match[str] | None:
    """``func@file:line:col`` split at the first ``@`` after a whole name: Firefox names can
    hold ``@`` (``obj["@fn"]@file.js:10:29``) and so can URLs (``/misc/@stuff/foo.js``)."""
    text = line.strip()
    at = text.find("@")
    while at >= 0:
        name = text[:at]
        if name.endswith(_OPERA_ARGS):
            name = name.removesuffix(_OPERA_ARGS)
            opera = _OPERA_NAME.match(name)
            name = (opera["name"] or "") if opera else name
        if (" " not in name.strip() or name in SPACED_NAMES) and _balanced(name):
            rest = text[at + 1 :]
            # Firefox's eval frames: "file.js line 26 > eval line 2 > eval:1:30" ran in file.js:26.
            evaled = _GECKO_EVAL.match(rest) if " > " in rest else None
            if evaled is not None:
                rest = f"{evaled['file']}:{evaled['line']}"
            location = _GECKO_LOCATION.match(rest)
            if location is not None:
                return _gecko_named(name, location)
            return None
        at = text.find("@", at + 1)
    return None


def _gecko_named(name: str, location: re.Match[str]) -> re.Match[str] | None:
    # Rebuild the match with the name, so callers read one shape.
    return _GECKO_NAMED.match(f"{name}\x00{location.group(0)}")


_GECKO_NAMED = re.compile(
    r"^(?P<func>[^\x00]*)\x00(?:(?P<file>\[native code\])"
    r"|(?P<path>\S+?):(?P<line>\d+)(?::(?P<col>\d+))?)\s*$"
)


def gecko_frame(line: str, *, inside: bool = False) -> Frame | None:
    match = _gecko_split(line) if "@" in line else None
    if match is None and inside and line.strip() == "[native code]":
        return make_frame(PLATFORM, filename="[native code]", abs_path="[native code]")
    if match is None and inside:
        # Safari prints the top frame of some stacks as a bare location, without "@".
        match = _FUNCTIONLESS.match(line)
        func = None
    if not match:
        return None
    func = raw = match.groupdict().get("func") or None
    if func in ("()", "global code"):
        func = None if func == "()" else func
    if func:
        # Firefox's "/<" closure markers and "*" generator marks are dropped from the name
        # (as Sentry does: they shift between builds); `raw_function` keeps them.
        func = func.replace("/<", "").replace("*", "") or None
    path = match.groupdict().get("path") or match["file"]
    return make_frame(
        PLATFORM,
        filename=path,
        abs_path=path,
        function=func,
        lineno=to_int(match["line"]),
        colno=to_int(match["col"]),
        raw_function=raw if func else None,
    )


# Safari prints the frames of eval'd code, which has no URL, as a bare name; the native
# function that ran it follows ("eval@[native code]").
_NAME_ONLY = re.compile(r"^\s*(?:[A-Za-z_$][\w$.]{0,200}|eval code|global code|module code)\s*$")
_NAME_RUN = 6


def name_only_run(lines: Sequence[str], i: int) -> int:
    """Where the run of Safari's name-only lines from ``lines[i]`` ends, if a native
    ``fn@[native code]`` frame follows it (else `i`: a bare word, such as a log message
    before a stack, is prose, not a frame)."""
    # The native frame is looked for first (a cheap test), so a long run of bare words
    # costs a few string tests per line, not an expression per line ahead.
    ahead = lines[i + 1 : i + 1 + _NAME_RUN]
    if "@[native code]" not in "\n".join(ahead):
        return i
    native = i + 1 + next(k for k, line in enumerate(ahead) if "@[native code]" in line)
    j = i
    while j < native and _NAME_ONLY.match(lines[j]):
        j += 1
    return j if j == native else i
