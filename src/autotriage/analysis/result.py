"""What an analysis says, and its first version: the culprit read from the event alone."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from autotriage.config import Settings
from autotriage.models import ErrorEvent


class Culprit(BaseModel):
    """The in-app frame most likely at fault."""

    path: str
    line: int | None = None
    function: str | None = None
    permalink: str | None = None
    code: list[str] = Field(default_factory=list)
    """Source lines around `line`, each prefixed with its line number."""


class SuspectCommit(BaseModel):
    """The commit most likely to have introduced the problem."""

    sha: str
    author_name: str
    author_email: str
    date: str
    summary: str
    login: str | None = None


class Analysis(BaseModel):
    """The result of analysing one event against the repository."""

    culprit: Culprit | None = None
    frames: list[dict[str, Any]] = Field(default_factory=list)
    suspect_commit: SuspectCommit | None = None
    owners: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    commit: str | None = None


def analyze(event: ErrorEvent, settings: Settings) -> Analysis:
    """Analyse `event`; without a repository configured, only the trace itself is read."""
    del settings  # no repository access in this version
    exc = event.primary_exception
    frame = exc.crashing_frame if exc else None
    if frame is None or frame.path is None:
        return Analysis(reasons=["no stack frames: nothing to map"])
    code = [f"{frame.lineno}: {frame.context_line}"] if frame.context_line else []
    return Analysis(
        culprit=Culprit(path=frame.path, line=frame.lineno, function=frame.function, code=code),
        confidence=0.2 if frame.in_app else 0.1,
        reasons=["culprit taken from the trace; no repository configured"],
    )
