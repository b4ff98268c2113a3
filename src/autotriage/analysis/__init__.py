"""Code analysis: from a stack trace to the file, the line, the suspect commit and the owners.

`Analyzer.analyze(event)` is the stage the worker runs for each new group (one analyzer,
built from the ``analysis`` section by `build_services`); `analyze_with` is the CLI's
one-off. It never raises for a bad trace or repository: failures become reasons in the
result.

Modules: `access` (checkout or GitHub mirror), `git` (the one place git runs), `repo`
(refs, files, blame), `index` (file index), `mapping` (frame -> repository path),
`suspect` (blame), `owners` (CODEOWNERS), `logins` (author -> GitHub login),
`confidence`, `culprit` (which frame, and its code) and `analyzer` (the stage itself).
"""

from __future__ import annotations

from autotriage.analysis.analyzer import Analyzer, analyze_with
from autotriage.analysis.result import Analysis, Culprit, SuspectCommit

__all__ = ["Analysis", "Analyzer", "Culprit", "SuspectCommit", "analyze_with"]
