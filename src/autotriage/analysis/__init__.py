"""Code analysis: from a stack trace to the file, the line, the suspect commit and the owners.

`analyze(event, settings)` is the stage the pipeline calls for each new group. It never
raises for a bad trace or repository: failures become reasons in the result.
"""

from __future__ import annotations

from autotriage.analysis.result import Analysis, Culprit, SuspectCommit, analyze

__all__ = ["Analysis", "Culprit", "SuspectCommit", "analyze"]
