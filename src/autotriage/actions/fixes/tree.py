"""Read-only views of the code a fixer looks at: a commit of a git repository, or a dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from autotriage.analysis.git import run_git
from autotriage.errors import GitError


class CodeView(Protocol):
    """The files of one commit, read without checking anything out."""

    def paths(self) -> list[str]:
        """Every file path, relative to the repository root."""
        ...

    def read(self, path: str) -> str | None:
        """A file's text, or None when it is absent or not UTF-8."""
        ...


@dataclass
class GitTree:
    """The files of `commit` in the repository at `repo` (a work tree or a bare mirror)."""

    repo: Path
    commit: str
    _paths: list[str] | None = None
    _texts: dict[str, str | None] = field(default_factory=dict)

    def _git(self, *args: str) -> bytes:
        return run_git(["-C", str(self.repo), *args]).stdout

    def paths(self) -> list[str]:
        """Every file of the commit."""
        if self._paths is None:
            out = self._git("ls-tree", "-r", "-z", "--name-only", self.commit)
            self._paths = [p for p in out.decode("utf-8", "replace").split("\0") if p]
        return self._paths

    def read(self, path: str) -> str | None:
        """`path` at the commit, decoded as UTF-8."""
        if path not in self._texts:
            try:
                raw = self._git("show", f"{self.commit}:{path}")
                self._texts[path] = raw.decode("utf-8")
            except (GitError, UnicodeDecodeError):
                self._texts[path] = None
        return self._texts[path]


@dataclass
class DictTree:
    """Files held in memory (tests, and code a caller already read)."""

    files: dict[str, str]

    def paths(self) -> list[str]:
        """The dict's keys."""
        return sorted(self.files)

    def read(self, path: str) -> str | None:
        """The dict's value for `path`."""
        return self.files.get(path)
