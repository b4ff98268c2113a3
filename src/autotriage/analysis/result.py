"""What an analysis says: the culprit, the suspect commit, the owners, how sure we are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Culprit(BaseModel):
    """The in-app frame most likely at fault."""

    path: str
    """The repository path when the frame was mapped, else the path the trace shows."""
    line: int | None = None
    function: str | None = None
    permalink: str | None = None
    code: list[str] = Field(default_factory=list)
    """Source lines around `line`, each prefixed with its line number (``>`` marks it)."""
    mapped: bool = False
    """True when `path` is a file of the repository at `Analysis.commit`."""


class SuspectCommit(BaseModel):
    """The commit most likely to have introduced the problem."""

    sha: str
    author_name: str
    author_email: str
    date: str
    summary: str
    login: str | None = None
    """The author's GitHub login from the commits API; never guessed from the name."""
    path: str | None = None
    line: int | None = None
    """The blamed line that named this commit."""


class Analysis(BaseModel):
    """The result of analysing one event against the repository."""

    culprit: Culprit | None = None
    frames: list[dict[str, Any]] = Field(default_factory=list)
    """Every frame, cause-first and oldest-first: filename, lineno, function, in_app,
    repo_path, and mapping (mapped/ambiguous/unmapped); mapped in-app frames also carry
    ``permalink`` (when the repository has a web address) and ``code`` (a few numbered
    lines around the frame's, ``>`` marking it)."""
    suspect_commit: SuspectCommit | None = None
    owners: list[str] = Field(default_factory=list)
    owner_details: list[dict[str, str]] = Field(default_factory=list)
    """Each owner with its kind: ``user``, ``team`` or ``email``."""
    confidence: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    commit: str | None = None
    """The commit the code was read at."""
    fingerprint: str | None = None
