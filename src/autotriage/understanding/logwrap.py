"""Wrappings tools put around whole log lines, and what the lines were before.

nginx's error log quotes what PHP-FPM wrote to stderr (``FastCGI sent in stderr: "PHP
message: ..." while reading ...``), an app may log a trace with its newlines escaped
(``...\\nTraceback (most recent call last):\\n  File ...``), and a log viewer's table
copied as text ends each line with an empty column (Kibana's ``   - ``).
`autotriage.understanding.logtext` asks these before it strips prefixes and reads records.
"""

from __future__ import annotations

import re

# nginx's error log quotes what PHP-FPM wrote to stderr: `... FastCGI sent in stderr: "PHP
# message: PHP Fatal error: ... on line 10\nPHP message: ..." while reading response header
# from upstream, client: ...`; each message is PHP's own line once the wrapping is gone.
_FPM_HEAD = re.compile(r'^.{0,300}?FastCGI sent in stderr: "')
_FPM_TAIL = re.compile(r'" while (?:reading|sending) .*$')


def fpm_lines(line: str) -> list[str]:
    """The PHP lines an nginx/PHP-FPM error-log line carries (the line itself if none)."""
    text = _FPM_TAIL.sub("", _FPM_HEAD.sub("", line, count=1), count=1)
    pieces = [p.strip() for p in text.replace("\\n", "\n").split("\n")]
    lines = [p.removeprefix("PHP message: ") for p in pieces if p]
    return lines if any(p.startswith("PHP message: ") for p in pieces) else [line.rstrip()]


_ESCAPED_TRACE = re.compile(
    r"\\n(?:Stack trace:|Traceback \(most recent|#\d+ |\s+at |\\tat |\s+File \"|Caused by: )"
)


def unescaped(line: str) -> list[str]:
    """`line`, or the lines of a trace logged with its newlines escaped (outside JSON)."""
    if "\\n" not in line or not _ESCAPED_TRACE.search(line):
        return [line]
    return [x.rstrip() for x in line.replace("\\t", "\t").split("\\n")]


# A log viewer's table copied as text (Kibana's Discover) ends each line with an empty
# column: "<time> <message>   - ". Taken off when most of the first lines end so.
DASH_TAIL = re.compile(r"\s{2,}-\s*$")
DASH_HINT = re.compile(r"\s{2,}-[ \t]*$", re.MULTILINE)


_PROBE = 20
"""Lines looked at to decide whether a text is a table copy."""


def dash_tailed(lines: list[str]) -> bool:
    """Whether most of the first lines end with a table's empty last column."""
    if sum(1 for line in lines[:_PROBE] if line.rstrip().endswith("-")) < 3:
        return False
    probe = [line for line in lines[:_PROBE] if line.strip().strip("`")]
    tailed = sum(1 for line in probe if line.rstrip().endswith(" -") and DASH_TAIL.search(line))
    return len(probe) >= 3 and tailed * 5 >= len(probe) * 4
