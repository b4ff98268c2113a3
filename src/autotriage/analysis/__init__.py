"""Code analysis: from a stack trace to the file, the line, the suspect commit and the owners.

`analyze(event, settings)` is the stage the pipeline calls for each new group. It never
raises for a bad trace or repository: failures become reasons in the result.

Modules: `access` (checkout or GitHub mirror), `git` (the one place git runs), `repo`
(refs, files, blame), `index` (file index), `mapping` (frame -> repository path),
`suspect` (blame), `owners` (CODEOWNERS), `logins` (author -> GitHub login),
`confidence` and `analyzer` (the stage itself).
"""

from __future__ import annotations

from autotriage.analysis.analyzer import analyze, analyze_with
from autotriage.analysis.result import Analysis, Culprit, SuspectCommit

__all__ = ["Analysis", "Culprit", "SuspectCommit", "analyze", "analyze_with"]
