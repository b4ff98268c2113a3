"""Make event text inert in GitHub-flavoured Markdown.

Event text is attacker-controlled: a title can close a code fence and add a heading, an
``@org/team`` mention storm, or an image that makes every reader's browser fetch a URL.
So event text goes either into a code block whose fence is longer than any run of
backticks inside it (`fenced`), into an inline code span built the same way
(`code_span`), or into prose with Markdown's punctuation escaped and mentions broken by
a word joiner (`inert`). NUL characters, which GitHub and PostgreSQL refuse, become
U+FFFD (`printable`).
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_MENTION = re.compile(r"@(?=[\w-])")
WORD_JOINER = "\u2060"


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def fence_for(text: str) -> str:
    """A fence of backticks longer than any run in `text` (at least three)."""
    return "`" * max(3, _longest_run(text) + 1)


def fenced(text: str) -> list[str]:
    """`text` as the lines of a code block nothing inside can close."""
    fence = fence_for(text)
    return [fence, printable(text), fence]


def code_span(text: str) -> str:
    """`text` as one inline code span, on one line."""
    flat = printable(" ".join(text.split()))
    ticks = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def inert(text: str) -> str:
    """`text` for Markdown prose or a table cell: one line, punctuation escaped, no mentions."""
    flat = printable(" ".join(text.split()))
    return _MENTION.sub("@" + WORD_JOINER, _PUNCTUATION.sub(r"\\\1", flat))


def printable(text: str) -> str:
    """`text` without NUL characters."""
    return text.replace("\x00", "\ufffd")
