"""Reading a unified diff: which files it touches and how many lines it changes.

Anything but plain edits of existing text files (new, deleted, renamed or binary files,
mode changes, paths leaving the repository) is reported as a problem, so a gate refuses it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_UNSUPPORTED = (
    "new file mode",
    "deleted file mode",
    "rename from",
    "rename to",
    "copy from",
    "old mode",
    "new mode",
    "GIT binary patch",
    "Binary files",
    "similarity index",
)


@dataclass(slots=True)
class DiffSummary:
    """The files a diff edits, its changed-line count, and what makes it unacceptable."""

    files: list[str] = field(default_factory=list)
    changed_lines: int = 0
    problems: list[str] = field(default_factory=list)


def _path(header: str, prefix: str) -> str | None:
    raw = header[4:].split("\t")[0].strip()
    if raw == "/dev/null":
        return None
    if raw.startswith(prefix):
        raw = raw[len(prefix) :]
    return raw


def _safe(path: str) -> bool:
    norm = posixpath.normpath(path)
    return not (path.startswith("/") or norm.startswith("..") or norm != path or "\\" in path)


def summarize(diff: str) -> DiffSummary:
    """What `diff` would change; problems name whatever a gate must refuse."""
    summary = DiffSummary()
    lines = diff.splitlines()
    added = removed = 0
    in_hunk = False

    def close_hunk() -> None:
        nonlocal added, removed
        summary.changed_lines += max(added, removed)
        added = removed = 0

    for i, line in enumerate(lines):
        if line.startswith(_UNSUPPORTED):
            summary.problems.append(f"unsupported change: {line.strip()[:80]}")
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            close_hunk()
            in_hunk = False
            old, new = _path(line, "a/"), _path(lines[i + 1], "b/")
            if old is None or new is None:
                summary.problems.append("creates or deletes a file")
                continue
            if old != new:
                summary.problems.append(f"renames {old} to {new}")
            if not _safe(new):
                summary.problems.append(f"path outside the repository: {new!r}")
            elif new not in summary.files:
                summary.files.append(new)
            continue
        if _HUNK.match(line):
            close_hunk()
            in_hunk = True
            continue
        if in_hunk and line.startswith("+") and not line.startswith("+++ "):
            added += 1
        elif in_hunk and line.startswith("-") and not line.startswith("--- "):
            removed += 1
    close_hunk()
    if not summary.files and not summary.problems:
        summary.problems.append("not a unified diff")
    return summary
