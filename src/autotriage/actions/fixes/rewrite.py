"""A single-token rewrite, and the unified diff it makes."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Replace the bytes [start, end) of `line` (1-based) in `path` by `new`."""

    path: str
    line: int
    start: int
    """UTF-8 byte offset in the line where the token starts (what `ast` reports)."""
    end: int
    old: str
    new: str
    why: str
    root_cause: str


@dataclass(frozen=True, slots=True)
class NoFix:
    """Why a fixer produced nothing."""

    reason: str


def apply_rewrite(text: str, rewrite: Rewrite) -> str:
    """`text` with the rewrite applied; ValueError when the token is not where it says."""
    lines = text.splitlines(keepends=True)
    if not 1 <= rewrite.line <= len(lines):
        raise ValueError(f"line {rewrite.line} is not in {rewrite.path}")
    raw = lines[rewrite.line - 1].encode()
    if raw[rewrite.start : rewrite.end].decode() != rewrite.old:
        raise ValueError(f"{rewrite.path}:{rewrite.line} does not hold {rewrite.old!r} there")
    lines[rewrite.line - 1] = (
        raw[: rewrite.start] + rewrite.new.encode() + raw[rewrite.end :]
    ).decode()
    return "".join(lines)


def unified_diff(path: str, before: str, after: str) -> str:
    """A ``git apply``-able diff of one file, with ``a/`` and ``b/`` prefixes."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=3,
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def byte_col(line_text: str, char_col: int) -> int:
    """The UTF-8 byte offset of character `char_col` (0-based) of a line."""
    return len(line_text[:char_col].encode())
