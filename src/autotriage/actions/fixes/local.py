"""The fix pipeline for one event against a local repository: analyse, then attempt."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from autotriage.actions.fixes.attempt import LlmPropose, attempt_fix
from autotriage.actions.fixes.model import FixAttempt
from autotriage.actions.fixes.settings import FixConfig
from autotriage.analysis import analyze_with
from autotriage.config_sections import AnalysisSettings, FixSettings
from autotriage.models import ErrorEvent


def fix_locally(
    event: ErrorEvent,
    analysis: AnalysisSettings,
    fix: FixSettings,
    repo: Path,
    *,
    ref: str | None = None,
    test_command: str | None = None,
    llm: LlmPropose | None = None,
) -> FixAttempt:
    """What the service would do with `event` (PR_ENABLED aside), changing nothing remote."""
    config = FixConfig.from_settings(fix)
    if test_command is not None:
        config = dataclasses.replace(config, test_command=test_command)
    result = analyze_with(event, analysis, location=str(repo), ref=ref)
    attempt = attempt_fix(event, result, repo, config, llm=llm, check_enabled=False)
    attempt.reasons.append(f"analysis confidence {result.confidence:.2f}")
    return attempt
